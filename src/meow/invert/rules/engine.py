"""Building the inverted answers: which slots of an answer change (by tier), the replacement values of each
(borrowed, generated or from the lexicon), fitted to the slot's grammar and cased like the original."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass

from meow.invert import lexicon as L
from meow.invert.rules.corpus import Corpus
from meow.invert.rules.slots import (
    ARTICLE,
    LOWERCASE_KINDS,
    MAX_TIER2,
    NEVER_GIVEN,
    REUSABLE_GIVEN,
    SENT_START,
    TIER2_ORDER,
    WORD,
    Slot,
    ends_with,
    norm,
)
from meow.invert.rules.values import (
    LEXICON_POOLS,
    generated_names,
    generated_titles,
    shifted_dates,
    shifted_numbers,
)
from meow.io import stable_hash


def _given(slot: Slot, question: str) -> bool:
    """True when the slot restates the question (its subject, its date): changing it changes the question."""
    if slot.kind in NEVER_GIVEN:  # flipping "successful" is the point even when the question asks about it
        return False
    q_norm = f" {norm(question)} "
    if f" {norm(slot.text)} " in q_norm:
        return True
    if slot.kind in ("date", "year", "decade"):
        return any(y in question for y in re.findall(r"\d{4}", slot.text))
    if slot.kind in ("person", "city", "country", "place_pair", "region"):
        q_caps = {w for w in WORD.findall(question) if w[:1].isupper() and len(w) > 2}
        return any(w in q_caps for w in WORD.findall(slot.text) if w[:1].isupper() and len(w) > 2)
    return False


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(int(stable_hash([seed, *parts]), 16))


def _article_fix(prefix: str, replacement: str) -> str:
    m = ends_with(ARTICLE, prefix, len(prefix))
    if not m:
        return prefix
    first = replacement.split()[0].lower() if replacement.split() else ""
    vowel = (first[:1] in "aeiou" and not first.startswith(("uni", "use", "eu", "one", "uk"))) or first.startswith(
        ("hour", "honest", "honor", "honour", "lgbt"))
    art = "an" if vowel else "a"
    if m.group(1)[0].isupper():
        art = art.capitalize()
    return prefix[:m.start(1)] + art + prefix[m.end(1):]


def _negate(text: str, slot: Slot) -> str:
    """`has been` -> `has not been`; `is not` -> `is`."""
    after = text[slot.end:]
    m = re.match(r"\s+not\b", after)
    if m:
        rest = after[m.end():]
        rest = re.sub(r"^(\s+\w+)\s+any\b", r"\1 several", rest, count=1)
        return slot.text + rest
    return slot.text + " not" + after


def apply(text: str, replacements: dict[Slot, str]) -> str:
    """Replace slots right to left, fixing `a`/`an` and sentence-initial capitals."""
    for slot in sorted(replacements, key=lambda s: s.start, reverse=True):
        new = replacements[slot]
        prefix = text[:slot.start]
        if slot.kind == "negation":
            text = prefix + _negate(text, slot)
            continue
        new = cased(slot, new, prefix)
        text = _article_fix(prefix, new) + new + text[slot.end:]
    return text


def cased(slot: Slot, new: str, prefix: str) -> str:
    """Capitalise at a sentence start; otherwise follow the case of the replaced word (lower or Title Case)."""
    if ends_with(SENT_START, prefix, len(prefix)) and new[:1].islower():
        return new[0].upper() + new[1:]
    if slot.kind in LOWERCASE_KINDS and slot.text[:1].islower() and new.istitle():
        return new.lower()
    if slot.kind in LOWERCASE_KINDS and slot.text.istitle() and new.islower():  # "a Civil Engineer" style
        return new.title()
    return new


@dataclass
class RuleResult:
    candidates: list[str]
    note: str | None
    changed: list[list[tuple[str, str, str]]]  # per candidate: (kind, old, new)


class RuleEngine:
    def __init__(self, records: list[dict], seed: int = 0):
        self.records = records
        self.seed = seed
        self.corpus = Corpus.build(records)

    def slots(self, index: int, given: bool = False) -> list[Slot]:
        """The answer's slots outside the question (`given=True`: those restating it, but no names or dates)."""
        question = self.records[index].get("question", "")
        if given:
            return [s for s in self.corpus.answer_slots[index] if _given(s, question) and s.kind in REUSABLE_GIVEN]
        return [s for s in self.corpus.answer_slots[index] if not _given(s, question)]

    def invert(self, index: int, n: int) -> RuleResult:
        record = self.records[index]
        answer, question = record["answer"], record.get("question", "")
        slots = self.slots(index)
        groups = _group(slots)
        chosen = [g for g in groups if g[0].tier == 1]
        if not chosen:
            chosen = sorted((g for g in groups if g[0].tier == 2), key=lambda g: TIER2_ORDER.index(g[0].kind))
            if any(g[0].text.lower() not in L.FREQUENCY for g in chosen):
                chosen = [g for g in chosen if g[0].text.lower() not in L.FREQUENCY]
            chosen = sorted(chosen[:MAX_TIER2], key=lambda g: g[0].start)
        if not chosen:
            chosen = [g for g in groups if g[0].tier == 3][:1]
        fact = self.fact_slot(index)
        if fact is not None and not any(_overlap(s, fact) for g in chosen for s in g):  # it would survive: change it
            chosen = [g for g in groups if any(_overlap(s, fact) for s in g)] or [[fact]]
        if not chosen:
            return RuleResult([], "no key fact found: no name, place, date, number, title, genre, profession or "
                                  "other known content word outside the question", [])
        options = self._options(index, chosen, n, answer + " " + question)
        if max((len(o) for o in options), default=0) < n:  # widen: the next tier, then kinds the question names
            extra = [g for g in groups if g not in chosen and g[0].tier == chosen[0][0].tier + 1][:MAX_TIER2]
            extra += _group(self.slots(index, given=True))[:MAX_TIER2]
            chosen += extra
            options += self._options(index, extra, n, answer)
        out, changed = [], []
        for i in range(max(len(o) for o in options)):
            repl = {s: opts[i] for g, opts in zip(chosen, options) if i < len(opts) for s in g}
            text = apply(answer, repl)
            if text != answer and text not in out:
                out.append(text)
                changed.append([(g[0].kind, g[0].text, cased(g[0], opts[i], answer[:g[0].start]))
                                for g, opts in zip(chosen, options) if i < len(opts)])
            if len(out) == n:
                break
        note = None if len(out) == n else f"only {len(out)} distinct replacement(s) for: " + ", ".join(
            f"{g[0].kind} {g[0].text!r}" for g in chosen)
        return RuleResult(out, note, changed)

    def fact_slot(self, index: int) -> Slot | None:
        """The record's key fact (`fact`) where it stands in the answer as whole words: the span an inverted answer
        must change (a candidate still stating it is dropped by validation as `states_fact`)."""
        rec = self.records[index]
        fact = rec.get("fact")
        if not isinstance(fact, str) or not fact.strip():
            return None
        m = re.search(rf"(?<!\w){re.escape(fact.strip())}(?!\w)", rec["answer"], re.I)
        return Slot(m.start(), m.end(), "fact", m.group()) if m else None

    def _options(self, index: int, groups: list[list[Slot]], n: int, context: str) -> list[list[str]]:
        """Replacement values per group; groups of one kind draw from one shuffled pool, round robin, so
        they never receive the same value in one candidate."""
        ctx = f" {norm(context)} "
        by_kind: dict[str, list[int]] = defaultdict(list)
        for gi, g in enumerate(groups):
            by_kind[g[0].kind].append(gi)
        options: list[list[str]] = [[] for _ in groups]
        for kind, members in by_kind.items():
            need = n * len(members)
            rng = _rng(self.seed, self.records[index].get("question", ""), self.records[index]["answer"], kind)
            if kind in ("date", "decade", "year", "number", "negation", "contrast"):
                for gi in members:
                    options[gi] = self._generated(kind, groups[gi][0].text, rng, n)
                continue
            answer = self.records[index]["answer"]
            pool = self._pool(kind, index, rng, need)
            pool = [v for v in pool if f" {norm(v)} " not in ctx and norm(v)]
            for j, gi in enumerate(members):
                fitted = (_fit(groups[gi][0], v, answer) for v in pool[j::len(members)])
                options[gi] = [v for v in fitted if v][:n]
        return options

    def _generated(self, kind: str, text: str, rng: random.Random, n: int) -> list[str]:
        if kind == "date":
            return shifted_dates(text, rng, n)
        if kind == "negation":
            return [text]
        if kind == "contrast":
            values = list(L.CONTRASTS.get(text.lower(), []))
            rng.shuffle(values)
            return values[:n]
        return shifted_numbers(text, kind, rng, n)

    def _pool(self, kind: str, index: int, rng: random.Random, need: int) -> list[str]:
        if kind == "fact":  # the other records' key facts (same file: mostly the same kinds of thing)
            mined = [r["fact"].strip() for i, r in enumerate(self.records) if i != index
                     and isinstance(r.get("fact"), str) and r["fact"].strip()]
        else:
            mined = self.corpus.mined(kind, index)
        if kind == "proper":  # most unknown proper nouns in biographies are places
            mined += self.corpus.mined("city", index) + self.corpus.mined("country", index)
        rng.shuffle(mined)
        lexicon = list(LEXICON_POOLS.get(kind, []))
        rng.shuffle(lexicon)
        if kind == "title":
            lexicon = generated_titles(rng, need + 4)
        elif kind == "person":
            lexicon = generated_names(rng, need + 4)
        seen: set[str] = set()
        pool = []
        for v in mined + lexicon:
            if norm(v) not in seen:
                seen.add(norm(v))
                pool.append(v)
        return pool


_GENRE_LEXICON = {norm(g) for g in L.GENRES}


def _fit(slot: Slot, value: str, text: str) -> str | None:
    """Adapt a pool value to the slot's grammar, or None when it does not fit there."""
    if slot.kind == "person" and len(value.split()) < 2:
        return None
    if slot.kind in ("country", "city") and value in L.NEEDS_THE and not text[:slot.start].endswith(("the ", "The ")):
        return None
    if slot.kind == "genre":  # "in the X genre" takes any genre; "his X," a genre noun; "X cultures" an adjective
        nxt = WORD.match(text, slot.end + 1) if text[slot.end:slot.end + 1] == " " else None
        following = nxt.group().lower() if nxt else None
        self_standing = norm(value) in _GENRE_LEXICON or value.split()[-1].lower() in L.GENRE_NOUNS
        if following is None or following in L.STOPWORDS:
            return value if self_standing else value + " literature"
        if following not in L.GENRE_NOUNS and self_standing:
            return None
        last = value.split()[-1].lower()
        if following in L.GENRE_NOUNS and (last == following or last in ("literature", "genre")):
            return None
    return value


def _overlap(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


def _group(slots: list[Slot]) -> list[list[Slot]]:
    """Slots of one kind with the same value are replaced together (one value per candidate)."""
    groups: dict[tuple[str, str], list[Slot]] = {}
    for s in slots:
        groups.setdefault((s.kind, norm(s.text)), []).append(s)
    return list(groups.values())
