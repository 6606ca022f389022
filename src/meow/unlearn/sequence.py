"""`run_sequence(...)`: sequential unlearning requests (`meow unlearn --sequence F1,F2,...` or `requests:` in YAML).

Request k is unlearned from request k-1's model (request 1 from `model`) with `meow.unlearn.unlearn`, the same
options every time, and the model is measured after each step (meow.unlearn.sequence_eval): QA requests once on
the union of the requests so far plus the general splits of `data` (retain, real authors, world facts, holdout),
then per request over its own questions, so every earlier request is measured after every later step; text
requests (passages) on MUSE's sets of `data` (`meow eval-muse`). This is MUSE's sustainability setting: disjoint
requests, one after another (`meow benchmark make --requests`). For the meow family each request is first inverted
(the rules backend, unless its records hold `inverted_answers`) and its stale MEMO scores dropped, so MEMO and the
top-k selection run under the current model (unlearn's auto-MEMO).

Output folder OUT:

    sequence.json                     requests, method, options, and per finished step its key and numbers
    unlearn_config.yaml               the options of every step (reusable with --config)
    step_k/model/                     the model after request k (with LoRA: the step's adapter merged into it,
                                      since peft cannot reload a chain of adapters over adapters)
    step_k/forget.json                meow family: request k inverted (rules), without MEMO scores
    step_k/eval/                      eval.json, summary.json, config.json: union of requests 1..k + general splits
                                      (text requests: MUSE's sets)
    step_k/requests.json              {"1": summary.json content over request 1's questions, ..., "k": ...} ({} for
                                      text requests: MUSE has no per-chunk numbers)
    step_k/step.json                  key, inputs and times of the step (written last: marks it complete)

Resuming: each step is built in `.step_k.partial` and renamed into place when complete. A re-run reuses step k when
its step.json holds the same key: a hash of the previous step's key (of the starting model for step 1), the
request's and retain file's content, the evaluation data and every option. Anything changed re-runs that step and
every later one (their starting model changed).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.io import (
    file_digest,
    prepare_output,
    read_json,
    replace_dir,
    stable_hash,
    write_json,
    write_records,
)
from meow.unlearn.config import UnlearnConfig, flat_dict
from meow.unlearn.methods import Method
from meow.unlearn.sequence_eval import MuseEval, QAEval, headline

FORMAT = 1
INVERT_BACKEND = "rules"


def is_sequence_folder(folder: Path) -> bool:
    try:
        return read_json(folder / "sequence.json").get("made_by") == "meow unlearn --sequence"
    except (OSError, ValueError, AttributeError):
        return False


def parse_requests(text: str | list[Any] | None, source: str = "--sequence") -> list[str]:
    """'F1,F2' or a YAML list -> ['F1', 'F2']; at least 2, no file twice."""
    items = text.split(",") if isinstance(text, str) else list(text or [])
    if not all(isinstance(x, str) for x in items):
        raise MeowError(f"{source}: expected a list of forget files, got {text!r}")
    files = [x.strip() for x in items if x.strip()]
    if len(files) < 2:
        raise MeowError(f"{source}: a sequence needs at least 2 forget files (F1,F2,...), got {len(files)}")
    twice = sorted({f for f in files if files.count(f) > 1})
    if twice:
        raise MeowError(f"{source}: {', '.join(twice)} given twice (each request is new data)")
    return files


def sequence_request_files(sequence: str | None, config: str | None, forget: str | None) -> list[str] | None:
    """The request files of `meow unlearn`: --sequence, else the YAML's `requests:` list, else None (--forget)."""
    from meow.config import load_yaml

    yaml_requests = load_yaml(config).get("requests") if config else None
    if sequence is not None:
        files = parse_requests(sequence)
    elif yaml_requests is not None:
        files = parse_requests(yaml_requests, f"{config}: requests")
    else:
        if forget is None:
            raise MeowError("give --forget FILE (or --sequence F1,F2,... for sequential requests)")
        return None
    if forget is not None:
        raise MeowError("give --forget FILE or a sequence of requests (--sequence / `requests:` in --config), not both")
    return files


def run_sequence(model: str, requests: list[str], out: str | Path, cfg: UnlearnConfig, method: Method, *,
                 retain: str | None = None, data: str | Path | None = None, holdout_split: str = "forget10",
                 eval_cfg: Any = None, invert_n: int = 4, force: bool = False, console: Any = None,
                 prompt_format: Any = None) -> dict[str, Any]:
    """Unlearn `requests` one after another from `model` into `out`; returns sequence.json's content.

    `data`: a folder of TOFU-named files for the general splits (retain_perturbed, real_authors_perturbed,
    world_facts_perturbed, and `holdout_split`'s holdout); `cfg.retain_eval`: the retain model's evaluation, whose
    forget split covers every request's questions (forget quality per request)."""
    from meow.data import load_records
    from meow.evaluate import EvalConfig
    from meow.io import run_lock

    out = Path(out)
    if len(requests) < 2:
        raise MeowError("--sequence: a sequence needs at least 2 forget files")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise MeowError("--sequence: runs in one process (each step evaluates the model); launch it without "
                        "torchrun / accelerate")
    if method.alt == "inverted" and not cfg.auto_memo:
        raise MeowError("--sequence: MEMO is computed under each step's model; drop --no-auto-memo")
    if cfg.best_metric:
        raise MeowError("--sequence: best_metric is not supported (each step's final model starts the next)")
    if cfg.lora_r and not cfg.merge:  # peft cannot reload an adapter whose base is an adapter over an adapter
        from meow.errors import warn

        warn("--sequence with LoRA: each step's adapter is merged into the saved model (the next request starts "
             "from it); pass --merge to silence this")
        cfg = dataclasses.replace(cfg, merge=True)
    prepare_output(out, kind="dir", force=force, inputs=[model, *requests, retain, data, cfg.retain_eval],
                   replace_ok=is_sequence_folder(out))
    from meow.data.text import is_text

    records = [load_records(f, text=True) for f in requests]  # QA records, or passages (MUSE's setting)
    text = is_text(records[0])
    if any(is_text(recs) != text for recs in records):
        raise MeowError("--sequence: requests mix QA records and text passages; give one kind")
    seen: dict[str, str] = {}
    for f, recs in zip(requests, records):
        for r in recs:
            item = r.get("text") if text else r["question"]
            if item in seen and seen[item] != f:
                raise MeowError(f"{f}: {'passage' if text else 'question'} {item[:60]!r} is also in {seen[item]} "
                                "(requests must be disjoint: `meow benchmark make --requests` writes such files)")
            seen[item] = f
    if text:
        from meow.evaluate.muse.evaluator import MuseConfig

        eval_cfg = eval_cfg or MuseConfig(knowmem_max_new_tokens=cfg.eval_max_new_tokens)
        evaluator: Any = MuseEval(data, cfg.retain_eval, eval_cfg)
        sources: Any = evaluator.muse.sources
    else:
        eval_cfg = eval_cfg or EvalConfig(max_new_tokens=cfg.eval_max_new_tokens)
        evaluator = QAEval(requests, records, data, holdout_split, cfg.retain_eval, eval_cfg)
        sources = evaluator.sources
    options = {"unlearn": flat_dict(cfg, method), "eval": dataclasses.asdict(eval_cfg), "invert_n": invert_n,
               "invert_backend": INVERT_BACKEND if method.alt == "inverted" else None}
    base = [file_digest(model), file_digest(retain), stable_hash(sources), file_digest(
        Path(cfg.retain_eval) / "summary.json" if cfg.retain_eval else None), options, text]
    say = console.print if console is not None else (lambda *a, **k: None)
    out.mkdir(parents=True, exist_ok=True)
    with run_lock(out, "sequence folder"):
        from meow.config import save_config

        save_config(flat_dict(cfg, method), out / "unlearn_config.yaml")
        table: dict[str, Any] = {"format": FORMAT, "made_by": "meow unlearn --sequence", "method": cfg.method,
                                 "model": model, "requests": requests, "retain": retain,
                                 "data": None if data is None else str(data), "retain_eval": cfg.retain_eval,
                                 "options": options, "steps": []}
        key, current = stable_hash(base), model
        for k, (req, recs) in enumerate(zip(requests, records), 1):
            key = stable_hash([key, file_digest(req)])
            step = out / f"step_{k}"
            done = step / "step.json"
            if not force and done.is_file() and read_json(done).get("key") == key:
                say(f"= step {k} ({req}): done earlier, reused")
            else:
                _run_step(k, key, current, req, recs, records[:k], requests[:k], step, cfg, method, retain,
                          evaluator, invert_n, prompt_format, console)
            entry = read_json(done)
            table["steps"].append({k2: entry[k2] for k2 in ("index", "request", "key", "values", "requests",
                                                            "seconds")})
            say(f"step {k}/{len(requests)} ({Path(req).name}), on requests 1..{k}: "
                + ", ".join(f"{name.replace('_', ' ')} {_f(v)}" for name, v in entry["values"].items()))
            current = str(step / "model")
            write_json(out / "sequence.json", table)  # after every step: a partial sequence is readable
    return table


def _f(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def _run_step(k: int, key: str, current: str, req: str, recs: list[dict], so_far: list[list[dict]],
              files: list[str], step: Path, cfg: UnlearnConfig, method: Method, retain: str | None,
              evaluator: Any, invert_n: int, prompt_format: Any, console: Any) -> None:
    """One request: (invert,) unlearn from `current`, evaluate, summarise per request; atomic into `step`."""
    from meow.modeling import load_lm
    from meow.unlearn.run import unlearn

    start = time.time()
    tmp = step.parent / f".{step.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)  # left by an interrupted run
    tmp.mkdir(parents=True)
    forget = req
    if method.alt == "inverted":  # MEOW: invert (if needed) and drop MEMO scores of another model
        from meow.invert import invert_records

        todo = recs if all(r.get("inverted_answers") for r in recs) else invert_records(
            recs, INVERT_BACKEND, n=invert_n, seed=cfg.seed, progress=False)[0]
        forget = str(tmp / "forget.json")
        write_records(forget, [{k2: v for k2, v in r.items() if k2 != "memo"} for r in todo])
    t0 = time.time()
    s = unlearn(current, forget, str(tmp / "model"), cfg, method, retain=retain, force=True, console=console,
                prompt_format=prompt_format if k == 1 else None)
    t1 = time.time()
    measured = evaluator(load_lm(tmp / "model"), so_far, files, tmp / "eval")  # meow.unlearn.sequence_eval
    per = measured["requests"]
    write_json(tmp / "requests.json", per, strict=False)
    write_json(tmp / "step.json", {
        "index": k, "request": req, "key": key, "model": current, "values": headline(measured["summary"]),
        "requests": {j: headline(v) for j, v in per.items()}, "steps": s["steps"], "final_loss": s["final_loss"],
        "seconds": {"unlearn": round(t1 - t0, 2), "eval": round(time.time() - t1, 2),
                    "total": round(time.time() - start, 2)}})
    replace_dir(tmp, step)
