"""Nothing computed twice for the same weights: inside `with reuse():`, greedy generations (`generate`), teacher-
forced scores (`score`) and relearned copies are kept, keyed by the model's weights (by content) and the inputs,
and a later call for the same model and input gets the earlier result.

`meow demo` asks the same model the same thing in several stages: its evaluation generates the answers to the
forget questions, which the paraphrase attack ("original" column) and the relearning attack ("before") ask again;
MEMO after unlearning continues every window of every answer, which the prefix attack asks again; the relearning
attack relearns the retain model the same way for every method. Under `reuse()` each of these is done once.

Numbers: a kept result is the one the first call computed. Computed again inside another batch it could differ in
the last float32 digits (a different batch pads to another length, so the matrix products sum in another order),
so a stage served from the store can show the other stage's last digits; outside `reuse()` nothing changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

TWINS = 2  # relearned copies kept: the retain model's (asked for by every method) and the latest one
_stores: list[dict[Hashable, Any]] = []
_twins: list[OrderedDict[Hashable, Any]] = []
_prints: weakref.WeakKeyDictionary[Any, tuple[tuple[int, ...], str]] = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def reuse() -> Iterator[None]:
    """Keep generations, scores and relearned copies for the duration (nested blocks share the outer store)."""
    _stores.append(_stores[-1] if _stores else {})
    _twins.append(_twins[-1] if _twins else OrderedDict())
    try:
        yield
    finally:
        _stores.pop()
        _twins.pop()


def active() -> bool:
    return bool(_stores)


def fingerprint(lm: Any) -> str:
    """SHA-1 of the weights and buffers (bytes, names, dtypes, shapes), the tokenizer's name and size, and the
    prompt format. Remembered per model object until one of its tensors changes in place (torch's version counter)."""
    import torch

    model = lm.model
    tensors = list(model.state_dict(keep_vars=True).items())
    versions = tuple(t._version for _, t in tensors)
    known = _prints.get(model)
    if known is None or known[0] != versions:
        h = hashlib.sha1()
        for name, t in tensors:
            t = t.detach().contiguous().cpu()
            h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
            h.update(t.view(-1).view(torch.uint8).numpy().data if t.numel() else b"")
        _prints[model] = known = (versions, h.hexdigest())
    tok = lm.tokenizer
    return f"{known[1]}:{getattr(tok, 'name_or_path', '')}:{len(tok)}:{lm.fmt!r}"


def cached(kind: str, lm: Any, keys: list[Hashable], compute: Callable[[list[int]], list[Any]],
           usable: Callable[[Any], bool] = lambda v: True) -> list[Any]:
    """The result for each key: from the store when kept (and `usable`), else `compute(indices)` of the missing
    ones (each distinct key once), which are then kept. Outside `reuse()`: `compute` of all of them."""
    if not _stores:
        return compute(list(range(len(keys))))
    store, fp = _stores[-1], fingerprint(lm)
    full = [(kind, fp, k) for k in keys]
    first: dict[Hashable, int] = {}
    for i, k in enumerate(full):
        if not (k in store and usable(store[k])):
            first.setdefault(k, i)
    if first:
        saved = _stores[:]
        _stores.clear()  # `compute` calls the plain function (no store inside)
        try:
            values = compute(list(first.values()))
        finally:
            _stores[:] = saved
        store.update(zip(first, values))
    return [store[k] for k in full]


def twin(lm: Any, key: Hashable, make: Callable[[], Any]) -> Any:
    """A model derived from `lm` (a relearned copy) made by `make()`, or the one kept for the same weights and
    key; the last TWINS are kept. Callers only evaluate a twin (a kept one is never changed)."""
    if not _twins:
        return make()
    twins, k = _twins[-1], (fingerprint(lm), key)
    if k in twins:
        twins.move_to_end(k)
        return twins[k]
    saved = _stores[:]
    _stores.clear()
    try:
        made = twins[k] = make()
    finally:
        _stores[:] = saved
    while len(twins) > TWINS:
        twins.popitem(last=False)
    return made
