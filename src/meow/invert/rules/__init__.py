"""`rules` inverter: offline, deterministic fact inversion by replacing key-fact spans.

For each answer it finds *slots*: spans that carry its content, each with a kind (a quoted title, a
date, a person's name, a "City, Country" place, a genre, a profession, a nationality ...). Slots whose
text already appears in the question are the question's own subject and are left alone. Each inverted
answer is the original sentence with the slots replaced by other values of the same kind, so the form
is kept and the facts change.

The parts: `slots.py` (finding the slots), `values.py` (generated replacement values and the lexicon pools),
`corpus.py` (values mined from the other records, and who they belong to), `engine.py` (choosing slots and values,
building the answers); this module registers the backend.

Replacement values come first from the other records of the corpus (the same kind of slot found in
other answers, skipping values of records about the same person), then from small generic lexicons
(`lexicon.py`); dates, years and numbers are shifted. Choices are seeded by (seed, record, slot), so a
run is reproducible, and a replacement never equals the span it replaces.

Slots come in three tiers; an answer changes all its tier-1 slots (names, places, dates, numbers,
titles, awards, genres, professions, fields, nationalities, languages, genders), or if it has none up to
three tier-2 slots (other proper nouns, field adjectives, evaluative words, themes, styles, settings,
counts; how-often words only when nothing else is there), or if it has none a tier-3 one (negation:
"is" <-> "is not"). When that gives fewer than N distinct answers, the next tier and then kinds the
question itself names (a nationality, a genre ...) are changed too.
"""


from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from meow.invert.base import INVERTERS, Reply, Request
from meow.invert.rules.engine import RuleEngine
from meow.invert.validate import validate


@INVERTERS.register("rules")
@dataclass
class RulesInverter:
    """Offline and deterministic: key-fact spans replaced by same-kind values (module docstring)."""

    name: ClassVar[str] = "rules"
    cacheable: ClassVar[bool] = False  # cheap and deterministic: nothing to cache
    seed: int = 0
    spare: int = 3  # candidates made beyond n, in case some collide with a perturbed answer

    def identity(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def prepare(self, records: list[dict]) -> None:
        self.records = records
        self.engine = RuleEngine(records, self.seed)

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        for req in requests:
            res = self.engine.invert(req.index, req.n + self.spare)
            checked = validate([(c, None) for c in res.candidates], self.records[req.index], req.n)
            changes = [ch for c, ch in zip(res.candidates, res.changed) if c in checked.kept]
            note = res.note if len(checked.kept) < req.n or not res.candidates else None
            yield req, Reply(candidates=checked.kept, note=note,
                             dropped=[d for d in checked.dropped if d["reason"] != "extra"],
                             details={"changes": [[{"kind": k, "from": a, "to": b} for k, a, b in ch]
                                                  for ch in changes]})
