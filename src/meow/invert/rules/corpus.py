"""The corpus: the slots of every record, the values they hold and which records are about the same person, so
that a replacement is borrowed only from records about someone else."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from meow.invert import lexicon as L
from meow.invert.rules.slots import GENRE_SKIP, GENRE_SLOT, PARENT_PROFESSION, WORD, Slot, SlotFinder, norm


@dataclass
class Corpus:
    """Slots of every record, so that values can be borrowed from records about someone else."""

    finder: SlotFinder
    answer_slots: list[list[Slot]]
    question_slots: list[list[Slot]]
    values: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # kind -> value -> record ids
    cluster_of: list[set[int]] = field(default_factory=list)

    @classmethod
    def build(cls, records: list[dict]) -> Corpus:
        texts = [(r.get("question", ""), r.get("answer", "")) for r in records]
        common = _common_words(q + " " + a for q, a in texts)
        genres, professions = set(), set()
        for _, a in texts:
            for m in GENRE_SLOT.finditer(a):
                words = [w for w in m.group(1).split() if w.lower() not in GENRE_SKIP | L.STOPWORDS]
                if words and (len(words) > 1 or words[0][0].isupper() or len(words[0]) > 3):
                    genres.add(" ".join(words))
            professions.update(_mined_professions(a))
        first = SlotFinder(common, genres, professions)
        found = [s for q, a in texts for s in first.find(q + "\n" + a)]
        person_tokens = {w for s in found if s.kind == "person" for w in s.text.split() if len(w) > 2}
        places = {s.text for s in found if s.kind in ("city", "country", "region")}
        finder = SlotFinder(common, genres, professions, person_tokens, places)
        corpus = cls(finder, [finder.find(a) for _, a in texts], [finder.find(q) for q, _ in texts])
        corpus._index()
        return corpus

    def _index(self) -> None:
        people: list[set[str]] = []
        for i, (qs, as_) in enumerate(zip(self.question_slots, self.answer_slots)):
            for s in qs + as_:
                self.values.setdefault(s.kind, {}).setdefault(s.text, set()).add(i)
            people.append({norm(s.text) for s in qs + as_ if s.kind == "person"})
        by_person: dict[str, set[int]] = defaultdict(set)
        for i, names in enumerate(people):
            for name in names:
                by_person[name].add(i)
        self.cluster_of = [set().union({i}, *(by_person[n] for n in names)) for i, names in enumerate(people)]

    def mined(self, kind: str, record: int) -> list[str]:
        """Values of `kind` from records that share no person with `record`, in first-seen order."""
        cluster = self.cluster_of[record]
        return [v for v, ids in self.values.get(kind, {}).items() if not ids & cluster]


def _common_words(texts: Iterable[str]) -> set[str]:
    """Words that occur in lower case somewhere: a capitalised one of these is not a name."""
    words: set[str] = set()
    for t in texts:
        words.update(w for w in WORD.findall(t) if w.islower())
    return words


def _mined_professions(text: str) -> list[str]:
    """Occupations stated of a parent ("his mother was a harpist", "father worked as a radio host")."""
    found = []
    for sent in re.split(r"(?<=[.!?;])\s+", text):
        if not set(WORD.findall(sent.lower())) & L.FAMILY_WORDS:
            continue
        for m in PARENT_PROFESSION.finditer(sent):
            words = []
            for w in m.group(1).split():
                if w.lower() in L.STOPWORDS or w.lower() in L.NEGATIONS:
                    break
                words.append(w)
            phrase = " ".join(words)
            known = [p for p in L.PROFESSIONS if re.search(rf"\b{re.escape(p)}\b", phrase, re.I)]
            if known:
                found.append(max(known, key=len))
            elif 0 < len(words) <= 2 and not any(w.endswith(("ly", "ed")) or w.lower() in L.NOT_PROFESSIONS
                                                 for w in words) and (phrase.islower() or phrase.istitle()):
                found.append(phrase)
    return found
