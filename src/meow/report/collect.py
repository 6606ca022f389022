"""Find the evaluated models of a run folder and read everything the report shows about them.

Run folder (written by `meow demo`, or assembled by hand from `meow eval` / `meow attack` / `meow memo` outputs):

    RUN/evals/<name>/summary.json, eval.json, config.json   one per evaluated model (a row of the report)
    RUN/evals/<name>/memo.json                              optional: `meow memo` records scored under that model
    RUN/memo/forget.json                                    optional: MEMO under the target model (before unlearning)
    RUN/attacks/<name>/<attack>/summary.json                optional: `meow attack` results per model
    RUN/nlg/<name>/summary.json (or nlg.json)               optional: `meow eval-nlg` numbers per model
    RUN/manifest.json, RUN/config.yaml                      optional: shown in the report's header

A folder of `meow eval` outputs (`RUN/<name>/summary.json`) works too. Rows: the target model, the retain model,
then the methods in manifest order (`manifest.json` "methods": [name or {"name": ...}, ...]) or sorted by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where
from meow.io import read_json_file

TARGET, RETAIN, METHOD = "target", "retain", "method"
NO_RETAIN = "no retain model"  # start of the reason `meow eval` gives when it had no retain model


@dataclass
class Memo:
    """Mean MEMO over the records of one memo.json: of the original answer and of the inverted answers."""

    source: Path
    original: float | None  # mean over records of memo.answer
    inverted: float | None  # mean over records of mean(memo.inverted_answers)
    n: int


@dataclass
class Model:
    """One evaluated model (a row): its summary.json and whatever else the run holds about it."""

    name: str
    role: str
    folder: Path
    summary: dict[str, Any]
    memo: Memo | None = None
    attacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # attack name -> its summary.json
    nlg: dict[str, Any] | None = None
    nlg_source: Path | None = None
    recomputed: dict[str, dict[str, Any]] = field(default_factory=dict)  # summary entries computed by the report


@dataclass
class Run:
    folder: Path
    eval_root: Path  # RUN/evals, or RUN itself for a folder of eval folders
    models: list[Model]
    manifest: dict[str, Any] | None = None
    config_text: str | None = None
    notes: list[str] = field(default_factory=list)

    def role(self, role: str) -> Model | None:
        return next((m for m in self.models if m.role == role), None)


def read_summary(path: Path) -> dict[str, Any]:
    data = read_json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("splits", {}), dict):
        raise MeowError(f"{path}: not a summary.json written by `meow eval` (expected an object with 'splits')")
    return data


def eval_folders(run_dir: Path) -> tuple[Path, dict[str, Path]]:
    """(root, {name: folder}) of every `<root>/<name>/summary.json`, root = RUN/evals if it exists, else RUN."""
    if not run_dir.is_dir():
        raise MeowError(f"{run_dir}: run folder not found")
    for root in (run_dir / "evals", run_dir):
        found = {p.parent.name: p.parent for p in sorted(root.glob("*/summary.json"))}
        if found:
            return root, found
    raise MeowError(f"{run_dir}: no evaluated models (expected {run_dir / 'evals'}/<name>/summary.json or "
                    f"{run_dir}/<name>/summary.json, written by `meow eval --out`)")


def method_order(names: list[str], manifest: dict[str, Any] | None) -> list[str]:
    """Names in manifest order, the rest sorted after them. The order is manifest["methods"] ([name or
    {"name": ...}]) if given, else that of its "eval <name>" stages (`meow demo`'s manifest)."""
    manifest = manifest if isinstance(manifest, dict) else {}
    stages = manifest.get("stages") if isinstance(manifest.get("stages"), dict) else {}
    listed = manifest.get("methods") or [k.removeprefix("eval ") for k in stages
                                         if isinstance(k, str) and k.startswith("eval ")]
    listed = listed if isinstance(listed, list) else []
    order = [m.get("name") if isinstance(m, dict) else m for m in listed if isinstance(m, (str, dict))]
    order = [n for n in order if isinstance(n, str)]
    first = [n for n in dict.fromkeys(order) if n in names]
    return first + sorted(n for n in names if n not in first)


def read_memo(path: Path) -> Memo:
    """Mean MEMO of the original answers and of the inverted answers (per record mean, then over records)."""
    from meow.data import load_file

    originals, inverted = [], []
    for i, rec in enumerate(load_file(path, text=True)):  # QA records or passages (MUSE demo)
        memo = rec.get("memo")
        if memo is None:
            continue
        a, inv = memo.get("answer"), memo.get("inverted_answers")
        if a is not None:
            if not _number(a):
                raise MeowError(f"{where(path, i, 'memo')}: 'answer' should be a number, got {a!r}")
            originals.append(float(a))
        if inv:
            if not isinstance(inv, list) or not all(_number(x) for x in inv):
                raise MeowError(f"{where(path, i, 'memo')}: 'inverted_answers' should be a list of numbers")
            inverted.append(sum(map(float, inv)) / len(inv))
    if not originals and not inverted:
        raise MeowError(f"{path}: no record has MEMO scores (field 'memo'; write them with `meow memo`)")
    return Memo(path, _mean(originals), _mean(inverted), max(len(originals), len(inverted)))


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def memo_file(folder: Path) -> Path | None:
    return next((p for p in (folder / "memo.json", folder / "memo.jsonl") if p.is_file()), None)


def read_attacks(folder: Path) -> dict[str, dict[str, Any]]:
    """{attack name: summary.json} of `folder/<attack>/summary.json` (name from summary["attack"]["name"])."""
    out = {}
    for p in sorted(folder.glob("*/summary.json")):
        s = read_summary(p)
        info = s.get("attack")
        name = info.get("name") if isinstance(info, dict) and info.get("name") else p.parent.name
        out[name] = s
    return out


def recompute_against_retain(run: Run) -> None:
    """Forget quality and PrivLeak that `meow eval` left null for lack of a retain model, computed from the
    row's eval.json and the retain row's (the retain model against itself: KS p = 1, PrivLeak = 0)."""
    from meow.evaluate import forget_quality, load_eval
    from meow.evaluate.mia import privleak_entry

    retain = run.role(RETAIN)
    if retain is None or not (retain.folder / "eval.json").is_file():
        return
    retain_ev = None
    for m in run.models:
        wanted = [k for k in ("forget_quality", "privleak") if _lacks_retain(m.summary.get(k))]
        if not wanted or not (m.folder / "eval.json").is_file():
            continue
        retain_ev = retain_ev if retain_ev is not None else load_eval(retain.folder).data
        ev = retain_ev if m is retain else load_eval(m.folder).data
        note = f"computed by the report from {m.folder.name}/eval.json against {retain.folder.name}/eval.json"
        if "forget_quality" in wanted:
            m.recomputed["forget_quality"] = {**forget_quality(ev, retain_ev), "note": note}
        if "privleak" in wanted:
            m.recomputed["privleak"] = {**privleak_entry(ev, {}, retain_ev), "note": note}


def _lacks_retain(entry: Any) -> bool:
    """Null for lack of a retain model, or PrivLeak against the default reference AUC 0.5 (no retain model)."""
    if isinstance(entry, dict) and str(entry.get("reference", "")).startswith("default"):
        return True
    return isinstance(entry, dict) and entry.get("value") is None and str(entry.get("reason", "")).startswith(
        NO_RETAIN)


def load_run(run_dir: str | Path, target: str = TARGET, retain: str = RETAIN) -> Run:
    """Read a run folder (see the module docstring). A target / retain name other than the default must name a row;
    without rows named `target` / `retain` those roles are simply absent (every row is a method)."""
    run_dir = Path(run_dir)
    root, folders = eval_folders(run_dir)
    manifest = read_json_file(run_dir / "manifest.json") if (run_dir / "manifest.json").exists() else None
    config = run_dir / "config.yaml"
    config_text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else None
    run = Run(run_dir, root, [], manifest if isinstance(manifest, dict) else None, config_text)
    if manifest is not None and not isinstance(manifest, dict):
        run.notes.append("manifest.json is not a JSON object: left out")
    for role, name in ((TARGET, target), (RETAIN, retain)):
        if name not in folders:
            if name != role:
                raise MeowError(f"--{role}-row {name}: no such evaluated model in {root}; found: {', '.join(folders)}")
            run.notes.append(f"no {role} model (no {root.name}/{name}/summary.json): rows are all methods"
                             if role == TARGET else f"no retain model (no {root.name}/{name}/summary.json)")
    if target == retain and target in folders:
        raise MeowError(f"--target-row and --retain-row name the same model {target!r}")
    roles = {target: TARGET, retain: RETAIN}
    refs = [n for n in (target, retain) if n in folders]
    for name in refs + method_order([n for n in folders if n not in refs], manifest):
        folder = folders[name]
        m = Model(name, roles.get(name, METHOD), folder, read_summary(folder / "summary.json"))
        memo = memo_file(folder) or (run_dir / "memo" / "forget.json" if m.role == TARGET else None)
        if memo is not None and memo.is_file():
            m.memo = read_memo(memo)
        if (run_dir / "attacks" / name).is_dir():
            m.attacks = read_attacks(run_dir / "attacks" / name)
        for nlg in (run_dir / "nlg" / name / "summary.json", run_dir / "nlg" / name / "nlg.json"):
            if nlg.is_file():
                m.nlg, m.nlg_source = read_json_file(nlg), nlg
                break
        run.models.append(m)
    recompute_against_retain(run)
    return run
