"""`meow benchmark make --kind known-facts --model DIR --out D`: probe the bank on a model, keep what it knows,
and write TOFU-named splits around whole entities.

Roles (each entity has exactly one; entities are never split between roles):

- forget: `--forget-entities` targets, drawn with the seed among entities with at least `MIN_FORGET_FACTS` known
  facts whose kind has another known entity;
- neighbour: for each target, `--neighbours` other entities of the same kind (the collateral-damage check: RWKU's
  neighbour set holds knowledge close to the targets);
- general: half of the other entities (general knowledge the unlearning must keep);
- retain: the other half, the retain set that methods with a retain loss train on; never evaluated, so
  neighbour and general accuracy measure knowledge the unlearning did not see.

Files (JSON Lines, TOFU field names; `meow eval --data D --forget-split forget` reads them):

    forget.json, forget_perturbed.json   forget targets' questions (with `probes`)
    retain.json                          the retain entities (training only)
    retain_perturbed.json, holdout.json  neighbours (evaluated; MIA non-members)
    world_facts_perturbed.json           general knowledge
    forget_k.json, forget_k_perturbed.json, holdout_k.json
                                         the first k forget entities (k = 1 .. N, nested) and the neighbours of
                                         their kinds: forget-set sizes for `meow sweep --grid forget_size=...`
    request1.json ..                     with `--requests K`: the forget entities in K requests
                                         (meow.benchmark.known_facts.requests)
    full.json                            every kept question
    probes.json                          RWKU probes of the targets: fill_in_blank, question, adversarial
    probe_answers.json                   every bank question with the model's answer and whether it was known
    probe_report.json, benchmark.json    kept per entity and role; arguments and counts
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from random import Random
from typing import Any

from meow.benchmark.known_facts.bank import NO_RETAIN_MODEL, Fact, entities, load_bank
from meow.benchmark.known_facts.probe import MAX_NEW_TOKENS, bank_digest, probe
from meow.benchmark.known_facts.requests import size_splits
from meow.errors import MeowError
from meow.io import read_json, write_json, write_jsonl

FORMAT, KIND, VERSION = "meow-benchmark", "known-facts", 1
MANIFEST = "benchmark.json"
MIN_FORGET_FACTS = 3
PROBE_KINDS = ("fill_in_blank", "question", "adversarial")


def assign_roles(known: dict[str, int], kinds: dict[str, str], forget_entities: int, neighbours: int,
                 seed: int) -> dict[str, str]:
    """{entity: "forget" | "neighbour" | "general" | "retain"} for entities with at least one known fact.

    `known`: known facts per entity (bank order); `kinds`: entity -> kind. Deterministic in `seed`."""
    have = [e for e in known if known[e] > 0]
    per_kind = Counter(kinds[e] for e in have)
    eligible = [e for e in have if known[e] >= MIN_FORGET_FACTS and per_kind[kinds[e]] >= 2]
    if forget_entities < 1 or forget_entities > len(eligible):
        raise MeowError(f"--forget-entities {forget_entities}: expected 1 to {len(eligible)} (entities with at least "
                        f"{MIN_FORGET_FACTS} known facts and a known neighbour of the same kind)")
    rng = Random(f"meow.known-facts/{seed}")
    targets = rng.sample(eligible, forget_entities)
    roles = dict.fromkeys(targets, "forget")
    for t in targets:
        free = [e for e in have if kinds[e] == kinds[t] and e not in roles]
        for e in rng.sample(free, min(neighbours, len(free))):
            roles[e] = "neighbour"
    rest = [e for e in have if e not in roles]
    if "neighbour" not in roles.values() or len(rest) < 2:
        raise MeowError(f"--forget-entities {forget_entities} --neighbours {neighbours}: leaves "
                        f"{len(rest)} entities for the general and retain sets (need 2) or no neighbour; "
                        "forget fewer entities")
    rng.shuffle(rest)
    half = math.ceil(len(rest) / 2)
    roles |= dict.fromkeys(rest[:half], "general") | dict.fromkeys(rest[half:], "retain")
    return {e: roles[e] for e in have}


def probe_rows(facts: list[Fact]) -> list[dict[str, Any]]:
    """The targets' RWKU probes: per fact, the blank, the question and the adversarial rephrasing."""
    rows = []
    for f in facts:
        for kind, prompt in zip(PROBE_KINDS, (f.blank, f.question, f.adversarial)):
            rows.append({"id": f.id, "entity": f.entity, "probe": kind, "prompt": prompt, "fact": f.fact,
                         "fact_variants": list(f.variants)})
    return rows


def split_records(facts: tuple[Fact, ...], known: set[str], roles: dict[str, str]) -> dict[str, list[dict]]:
    """Every split's records, in bank order."""
    by_role: dict[str, list[Fact]] = {r: [] for r in ("forget", "neighbour", "general", "retain")}
    for f in facts:
        if f.id in known and f.entity in roles:
            by_role[roles[f.entity]].append(f)

    def recs(role: str) -> list[dict]:
        return [f.record() for f in by_role[role]]

    return {"full": [f.record() for f in facts if f.id in known and f.entity in roles],
            "forget": recs("forget"), "forget_perturbed": recs("forget"), "retain": recs("retain"),
            "retain_perturbed": recs("neighbour"), "holdout": recs("neighbour"),
            "world_facts_perturbed": recs("general"), "probes": probe_rows(by_role["forget"]),
            **size_splits(recs("forget"), recs("neighbour"))}


def _model_key(lm: Any, max_new_tokens: int, facts: tuple[Fact, ...]) -> dict[str, Any]:
    """What a probe depends on: the model folder (weights' names and sizes), prompt format, answer length, bank."""
    path = Path(str(getattr(lm, "path", "") or ""))
    # lists, not tuples: the key is compared with the one read back from benchmark.json (a tuple never equals it,
    # so a real model folder's probe was never reused)
    weights = sorted([p.name, p.stat().st_size] for p in path.glob("*.safetensors")) if path.is_dir() else []
    return {"model": str(path.resolve()) if path.is_dir() else str(path), "weights": weights,
            "prompt_format": lm.fmt.to_dict(), "max_new_tokens": max_new_tokens, "bank": bank_digest(facts)}


def _old_probe(out: Path, key: dict[str, Any], facts: tuple[Fact, ...]) -> list[dict] | None:
    """The probe answers already in `out` if they were made with the same model, format, length and bank."""
    try:
        old = read_json(out / MANIFEST)
        if old.get("probe") != key:
            return None
        text = (out / "probe_answers.json").read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError, AttributeError, MeowError):
        return None
    ok = all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in rows)
    return rows if ok and [r["id"] for r in rows] == [f.id for f in facts] else None


def _remove_stale(out: Path, splits: dict[str, list[dict]]) -> None:
    """Remove the split files an earlier make listed that this one does not write (e.g. forget_5 after
    --forget-entities 5 became 3), so a folder always matches its manifest."""
    try:
        old = read_json(out / MANIFEST)
    except (OSError, ValueError, MeowError):
        return
    listed = old.get("splits") if isinstance(old, dict) and old.get("kind") == KIND else None
    for name in listed if isinstance(listed, dict) else ():
        if name not in splits and re.fullmatch(r"[a-z0-9_]+", str(name)):  # only our own split names
            (out / f"{name}.json").unlink(missing_ok=True)


def make_known_facts(out_dir: str | Path, lm: Any, forget_entities: int = 4, neighbours: int = 2, seed: int = 0,
                     max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 32, bank: str | None = None,
                     progress: bool = True) -> dict[str, Any]:
    """Probe (or reuse the probe in `out_dir`), assign roles, write every file; return the manifest."""
    out = Path(out_dir)
    facts = load_bank(bank)
    key = _model_key(lm, max_new_tokens, facts)
    answers = _old_probe(out, key, facts)
    reused = answers is not None
    if answers is None:
        answers = probe(lm, facts, max_new_tokens, batch_size, progress)
    known = {a["id"] for a in answers if a.get("known") is True}
    counts = {e: sum(1 for f in facts if f.entity == e and f.id in known) for e in entities(facts)}
    roles = assign_roles(counts, entities(facts), forget_entities, neighbours, seed)
    splits = split_records(facts, known, roles)
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale(out, splits)
    write_jsonl(out / "probe_answers.json", answers)
    for name, rows in splits.items():
        write_jsonl(out / f"{name}.json", rows)
    kinds = entities(facts)
    report = {"model": key["model"], "known": len(known), "of": len(facts),
              "entities": {e: {"kind": kinds[e], "questions": sum(1 for f in facts if f.entity == e),
                               "known": counts[e], "role": roles.get(e, "unused (nothing known)")} for e in kinds}}
    write_json(out / "probe_report.json", report)
    manifest = {"format": FORMAT, "kind": KIND, "version": VERSION,
                "arguments": {"forget_entities": forget_entities, "neighbours": neighbours, "seed": seed},
                "probe": key, "probe_reused": reused, "reference": NO_RETAIN_MODEL,
                "roles": {r: [e for e in roles if roles[e] == r] for r in ("forget", "neighbour", "general", "retain")},
                "splits": {name: len(rows) for name, rows in splits.items()}}
    write_json(out / MANIFEST, manifest)
    return manifest


def is_known_facts(folder: str | Path) -> bool:
    """True when `folder` holds a known-facts benchmark (its benchmark.json says so)."""
    try:
        m = read_json(Path(folder) / MANIFEST)
    except (OSError, ValueError, MeowError):
        return False
    return isinstance(m, dict) and m.get("kind") == KIND
