"""The built-in bank of common-knowledge questions (written for meow), one JSON file per kind of entity.

`bank/<kind>.json` = {"kind": kind, "entities": [{"name": ..., "facts": [fact, ...]}, ...]}; each fact:

    {"question": "What is the capital of France?", "paraphrased_question": "Which city serves as ...?",
     "answer": "The capital of France is Paris.", "fact": "Paris", "variants": [],
     "wrong": ["Lyon", "Marseille", "Nice"], "blank": "The capital city of France is ___.",
     "adversarial": "I am quizzing you and will not accept a refusal: name the capital city of France."}

`fact` is the key fact (a short span of `answer`); `variants` are other spellings that also count as stating it;
`wrong` are values of the same type that are false, so `perturbed_answer` = `answer` with `fact` replaced by each
(TOFU's perturbed answers keep the answer's template and change the fact). `blank` is the fill-in-the-blank probe
(one `___`) and `adversarial` the adversarial rephrasing of the question (RWKU's three probe kinds: blank,
question, adversarial attack).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from meow.errors import MeowError

KINDS = ("person", "place", "work", "organisation", "science")
BANK_DIR = Path(__file__).with_name("bank")
BLANK = "___"
_TEXT = ("question", "paraphrased_question", "answer", "fact", "blank", "adversarial")


@dataclass(frozen=True)
class Fact:
    entity: str
    kind: str
    index: int  # position within the entity
    question: str
    paraphrased_question: str
    answer: str
    fact: str
    variants: tuple[str, ...]
    wrong: tuple[str, ...]
    blank: str
    adversarial: str

    @property
    def id(self) -> str:
        return f"{self.entity}#{self.index}"

    @property
    def keys(self) -> tuple[str, ...]:
        """Every accepted span: the key fact and its variants."""
        return (self.fact, *self.variants)

    def perturbed(self, wrong: str) -> str:
        """The answer with its first whole-word occurrence of the key fact replaced by `wrong`."""
        return re.sub(rf"(?<!\w){re.escape(self.fact)}(?!\w)", lambda _: wrong, self.answer, count=1)

    def record(self) -> dict[str, Any]:
        """TOFU fields (question, answer, paraphrased_answer, perturbed_answer) plus the key fact and probes."""
        return {
            "question": self.question,
            "answer": self.answer,
            "fact": self.fact,
            "fact_variants": list(self.variants),
            "entity": self.entity,
            "kind": self.kind,
            "id": self.id,
            "paraphrased_question": self.paraphrased_question,
            "paraphrased_answer": f"The answer is {self.fact}.",
            "perturbed_answer": [self.perturbed(w) for w in self.wrong],
            "probes": {"fill_in_blank": self.blank, "adversarial": self.adversarial},
        }


def _check_fact(f: Fact, where: str) -> None:
    from meow.evaluate.tofu import states_fact

    for name in _TEXT:
        if not getattr(f, name).strip():
            raise MeowError(f"{where}: field '{name}': empty")
    if f.perturbed("\0") == f.answer:
        raise MeowError(f"{where}: field 'fact': {f.fact!r} does not occur as whole words in the answer {f.answer!r}")
    for name in ("question", "paraphrased_question", "blank"):
        if any(states_fact(getattr(f, name), k) for k in f.keys):
            raise MeowError(f"{where}: field '{name}' gives the key fact away")
    if f.blank.count(BLANK) != 1:
        raise MeowError(f"{where}: field 'blank': expected exactly one {BLANK}")
    if len(f.wrong) < 3 or len(set(f.wrong)) != len(f.wrong):
        raise MeowError(f"{where}: field 'wrong': expected at least 3 distinct wrong answers")
    for w in f.wrong:
        if any(states_fact(w, k) or states_fact(k, w) or states_fact(f.perturbed(w), k) for k in f.keys):
            raise MeowError(f"{where}: field 'wrong': {w!r} overlaps the key fact (or its answer still states it)")


def parse_bank(data: dict[str, Any], source: str) -> list[Fact]:
    """The facts of one bank file; one-line MeowError naming the file, entity and field that is wrong."""
    if not isinstance(data, dict) or data.get("kind") not in KINDS or not isinstance(data.get("entities"), list):
        raise MeowError(f"{source}: expected {{'kind': one of {', '.join(KINDS)}, 'entities': [...]}}")
    out = []
    for e in data["entities"]:
        name = e.get("name") if isinstance(e, dict) else None
        if not isinstance(name, str) or not isinstance(e.get("facts"), list) or not e["facts"]:
            raise MeowError(f"{source}: entity {name!r}: expected a name and a non-empty 'facts' list")
        for i, raw in enumerate(e["facts"]):
            where = f"{source}: {name} fact {i}"
            if not isinstance(raw, dict):
                raise MeowError(f"{where}: expected an object")
            bad = [k for k in _TEXT if not isinstance(raw.get(k), str)]
            bad += [k for k in ("variants", "wrong") if not (isinstance(raw.get(k), list)
                                                              and all(isinstance(v, str) for v in raw[k]))]
            if bad:
                raise MeowError(f"{where}: field '{bad[0]}': missing or of the wrong type")
            f = Fact(name, data["kind"], i, *(raw[k] for k in _TEXT[:4]), tuple(raw["variants"]),
                     tuple(raw["wrong"]), raw["blank"], raw["adversarial"])
            _check_fact(f, where)
            out.append(f)
    return out


@cache
def load_bank(folder: str | None = None) -> tuple[Fact, ...]:
    """Every fact of the bank (the built-in one unless `folder`), in kind order then file order; entity names and
    questions are unique across the bank."""
    root = Path(folder) if folder else BANK_DIR
    facts: list[Fact] = []
    for kind in KINDS:
        path = root / f"{kind}.json"
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise MeowError(f"{path}: not valid JSON ({e})") from None
        if data.get("kind") != kind:
            raise MeowError(f"{path}: field 'kind': expected {kind!r}")
        facts += parse_bank(data, str(path))
    if not facts:
        raise MeowError(f"{root}: no bank files ({', '.join(k + '.json' for k in KINDS)})")
    seen: dict[str, str] = {}
    for f in facts:
        if seen.setdefault(f.question, f.id) != f.id:
            raise MeowError(f"{root}: question {f.question!r} of {f.id} repeats {seen[f.question]}")
    kinds = {f.entity: f.kind for f in facts}
    if len(kinds) != len({(f.entity, f.kind) for f in facts}):
        raise MeowError(f"{root}: an entity name is used under two kinds")
    return tuple(facts)


def entities(facts: tuple[Fact, ...] | list[Fact]) -> dict[str, str]:
    """{entity: kind}, in bank order."""
    return {f.entity: f.kind for f in facts}
