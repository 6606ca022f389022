"""`run_sweep(...)`: one unlearning method over a grid of options (x seeds), every point evaluated against the retain
model; a table (JSON, CSV, Markdown) and a forget-quality vs model-utility frontier plot.

    from meow.sweep import run_sweep
    table = run_sweep("meow_gd", "models/target", "memo/forget.json", "sweeps/meow_gd", data="data",
                      retain="data/retain90.json", retain_eval="evals/retain", grid={"epochs": [5, 10, 20]}, seeds=3)
    table["points"][0]["values"]["forget_quality"]["mean"]

Output folder OUT:

    sweep.json, table.csv, table.md, frontier.png   the aggregated table (mean, min, max over seeds per point)
    runs/<point>,seed=<s>/result.json               one run: its options, numbers, steps and times (reused on resume)
    runs/<point>,seed=<s>/eval/summary.json ...      its `meow eval` output (eval.json per question)
    runs/<point>,seed=<s>/model/                     the unlearned model, only with keep_models
    target/, retain/                                 evaluations of the starting and retain models (when computed)

Resuming: a run whose result.json holds the same key (a hash of the model's and data files' content and of every
option) is reused, so an interrupted or extended sweep (one more grid value, one more seed) runs only what is new.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.evaluate.tofu import FORGET_QUALITY_LINE
from meow.io import file_digest, read_json, stable_hash, write_json
from meow.report.columns import COLUMNS, SWEEP_METRICS
from meow.report.seeds import crosses_line, spread
from meow.sweep.grid import Grid, check_size, default_grid, point_name, points
from meow.sweep.sizes import SIZE_KEY, size_point

FORMAT = 1
METRICS = SWEEP_METRICS  # the report columns registered with sweep=True


def summary_values(summary: dict[str, Any]) -> dict[str, float | None]:
    """The report's headline numbers of one `meow eval` summary.json (meow.report.columns getters)."""
    from meow.report.collect import METHOD, Model, Run

    model = Model("m", METHOD, Path("."), summary)
    run = Run(Path("."), Path("."), [model])
    return {c.name: c.get(model, run)[0] for c in COLUMNS if c.name in METRICS}


@dataclasses.dataclass
class Reference:
    """Evaluation of the starting (target) or the retain model, shown as a marker in the plot."""

    name: str
    folder: Path | None
    values: dict[str, float | None]


def _evaluate_model(model: str, splits: dict, sources: dict, absent: dict, retain_ev: Any, eval_cfg: Any, out: Path,
                    key: str) -> Any:
    """Evaluate `model` into `out` unless `out` holds this key already; returns the EvalResult."""
    from meow.evaluate import evaluate, load_eval
    from meow.modeling import load_lm

    stamp = out / "sweep_key.json"
    if _reusable(stamp, key, ()) is not None and (out / "summary.json").is_file():
        return load_eval(out)
    result = evaluate(load_lm(model), splits, retain_ev, cfg=eval_cfg, sources=sources, missing_splits=absent,
                      progress=False)
    result.save(out, {"model": model, "options": dataclasses.asdict(eval_cfg), "made_by": "meow sweep"})
    write_json(stamp, {"key": key})
    return result


def estimate_steps(method: str, n_forget: int, cfg: Any) -> int:
    """Optimizer steps of one run (meow.unlearn.run.optimizer_steps, world size 1)."""
    from meow.unlearn import METHODS
    from meow.unlearn.run import optimizer_steps

    rows = n_forget * (cfg.top_k if METHODS.get(method).alt == "inverted" else 1)
    return optimizer_steps(cfg, rows)[0]


def run_sweep(method: str, model: str, forget: str, out: str | Path, *, data: str | Path | None = None,
              forget_split: str = "forget10", eval_files: dict[str, str | None] | None = None,
              retain: str | None = None, retain_eval: str | Path | None = None, retain_model: str | None = None,
              target_eval: str | Path | None = None, grid: Grid | None = None, seeds: int | list[int] = 1,
              base: dict[str, Any] | None = None, config: str | None = None, eval_cfg: Any = None,
              force: bool = False, keep_models: bool = False, console: Any = None,
              pace: dict[str, float] | None = None, max_runs: int | None = None) -> dict[str, Any]:
    """Run `method` from `model` at every grid point and seed; returns the table (also OUT/sweep.json).

    `base`: options shared by every point (as `meow unlearn` flags); `config`: a YAML file of them. `seeds`: a count
    (seeds base_seed .. base_seed + N - 1) or the list of seeds. `retain_eval` (an eval folder) or `retain_model`
    (evaluated first into OUT/retain) is the forget-quality reference; `target_eval` reuses an evaluation of `model`.
    `pace`: {"seconds_per_step", "eval_seconds"} measured elsewhere (the demo's own run), for the first estimate.
    `max_runs`: refuse (before anything is written) a sweep of more runs than this (None: no limit).
    """
    from rich.console import Console

    from meow.benchmark import BENCHMARKS
    from meow.io import LOCK_FILE, prepare_output, run_lock

    out = Path(out)
    bench = BENCHMARKS.for_data(data)
    if retain_eval is not None and retain_model is not None:
        raise MeowError("sweep: give one of --retain-eval DIR or --retain-model DIR, not both")
    if retain_eval is None and retain_model is None and bench.retain_model:
        raise MeowError("sweep: give --retain-eval DIR or --retain-model DIR (the forget-quality reference)")
    check_size(grid if grid is not None else default_grid(1.0, 1.0), seeds if isinstance(seeds, int) else len(seeds),
               max_runs)
    resuming = (out / "sweep.json").is_file() or (out / "runs").is_dir()  # a sweep folder: reuse its runs
    just_locked = out.is_dir() and {p.name for p in out.iterdir()} == {LOCK_FILE}  # another sweep starting here
    prepare_output(out, kind="dir", force=force or resuming or just_locked,
                   inputs=[model, forget, retain, retain_eval, retain_model, data, target_eval], option="--out")
    created = not out.exists()
    try:
        with run_lock(out, "sweep folder"):  # a second process on the same folder stops at once
            return _run_sweep(method, model, forget, out, retain, retain_eval, retain_model, data, forget_split,
                              eval_files, target_eval, grid, seeds, base, config, eval_cfg, force, keep_models,
                              Console(stderr=True) if console is None else console, pace, bench)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):  # refused before any work: leave nothing behind
            out.rmdir()
        raise


def _run_sweep(method: str, model: str, forget: str, out: Path, retain: str | None, retain_eval: Any,
               retain_model: Any, data: Any, forget_split: str, eval_files: Any, target_eval: Any, grid: Any,
               seeds: int | list[int], base: dict[str, Any] | None, config: str | None, eval_cfg: Any, force: bool,
               keep_models: bool, console: Any, pace: dict[str, float] | None, bench: Any) -> dict[str, Any]:
    """`run_sweep` inside its folder's lock."""
    from meow.config import validate_config
    from meow.data import load_records
    from meow.evaluate import EvalConfig, load_eval, load_splits
    from meow.unlearn import resolve_configs

    base = dict(base or {})
    base_cfg, _ = resolve_configs(config, {**base, "method": method})
    grid = grid if grid is not None else default_grid(base_cfg.lr, base_cfg.epochs)
    seed_list = list(range(base_cfg.seed, base_cfg.seed + seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise MeowError("--seeds: expected at least 1")
    eval_cfg = validate_config(eval_cfg or EvalConfig())
    splits, sources, absent = load_splits(data, forget_split, eval_files)
    n_forget = len(load_records(forget))
    runs = []  # (point, seed, resolved configs) for every run, checked before anything trains
    for point in points(grid):
        for seed in seed_list:
            options = {k: v for k, v in point.items() if k != SIZE_KEY}  # forget_size: the data (meow.sweep.sizes)
            ucfg, mcfg = resolve_configs(config, {**base, **options, "method": method, "seed": seed})
            runs.append((point, seed, ucfg, mcfg))
    data_key = [file_digest(model), file_digest(forget), file_digest(retain), stable_hash(sources),
                dataclasses.asdict(eval_cfg)]

    retain_ev: Any
    if retain_eval is None and retain_model is None:  # no retain model exists (bench.retain_model is False)
        retain_ev, retain_ref, ref_key = None, None, "no retain model"
    elif retain_eval is not None:
        retain_ev, retain_ref = load_eval(retain_eval), Path(retain_eval)
        ref_key = file_digest(Path(retain_eval) / "summary.json")
    else:
        ref_key = stable_hash(["retain", file_digest(retain_model), data_key[3:]])
        console.print(f"sweep: evaluating the retain model {retain_model}")
        retain_ev, retain_ref = _evaluate_model(retain_model, splits, sources, absent, None, eval_cfg,
                                                out / "retain", ref_key), out / "retain"
    if target_eval is not None:
        target = Reference("target", Path(target_eval), summary_values(load_eval(target_eval).summary))
    else:
        console.print(f"sweep: evaluating the starting model {model}")
        ev = _evaluate_model(model, splits, sources, absent, retain_ev, eval_cfg, out / "target",
                             stable_hash([data_key, ref_key]))
        target = Reference("target", out / "target", summary_values(ev.summary))
    retain_row = Reference("retain", retain_ref, summary_values(retain_ev.summary) if retain_ev else {})
    if retain_ev and retain_row.values.get("forget_quality") is None:  # the retain model against itself: p = 1
        retain_row.values["forget_quality"] = 1.0

    sized = {}  # forget_size value -> (forget file, splits, sources, absent, retain evaluation) of that size
    for p in points(grid):
        if SIZE_KEY in p and p[SIZE_KEY] not in sized:
            sized[p[SIZE_KEY]] = size_point(p[SIZE_KEY], forget, data, eval_files, out / "forget", retain_ev)

    def run_data(p: dict[str, Any]) -> tuple[Any, ...]:
        return sized[p[SIZE_KEY]] if SIZE_KEY in p else (forget, splits, sources, absent, retain_ev)

    todo = [(p, s, u, m, _run_key([*data_key, [file_digest(run_data(p)[0]), run_data(p)[2]]], ref_key, u, m))
            for p, s, u, m in runs]
    results: dict[str, dict[str, Any]] = {}
    pending = []
    for p, s, u, m, k in todo:
        name = point_name(p, s)
        old = None if force else _reusable(out / "runs" / name / "result.json", k)
        if old is not None:
            results[name] = old
        else:
            pending.append((p, s, u, m, k))
    _print_estimate(console, method, grid, seed_list, pending, len(results), results, n_forget, pace)
    for i, (p, s, ucfg, mcfg, k) in enumerate(pending, 1):
        name = point_name(p, s)
        res = _run_one(model, run_data(p)[0], retain, out / "runs" / name, ucfg, mcfg, *run_data(p)[1:],
                       eval_cfg, keep_models)
        res |= {"key": k, "name": name, "point": p, "seed": s, "method": method}
        if i == 1 and len(pending) > 1 and not pace and not results:
            _print_estimate(console, method, grid, seed_list, pending[1:], 1, {name: res}, n_forget)
        write_json(out / "runs" / name / "result.json", res)
        results[name] = res
        axes = [bench.frontier.x, bench.frontier.y] if bench.frontier else []
        shown = ", ".join(f"{_label(c)} {_f(res['values'].get(c))}" for c in list(dict.fromkeys(
            [*axes, *bench.sweep_columns]))[:3])
        console.print(f"  {method} {name}: {shown} ({res['unlearn_seconds'] + res['eval_seconds']:.0f} s, "
                      f"{i}/{len(pending)})")
    table = aggregate(method, model, grid, seed_list, base, results, target, retain_row) | {"benchmark": bench.name}
    write_outputs(table, out)
    return table


def _reusable(path: Path, key: str, fields: tuple[str, ...] = ("values", "steps", "seed")) -> dict[str, Any] | None:
    """A file this sweep wrote earlier, if it is whole and holds `key` (else None: that run is done again and the
    file replaced; a torn or hand-edited file in the sweep's own folder is no input)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or not all(f in data for f in fields):
        return None
    return data


def _run_key(data_key: list[Any], ref_key: str, ucfg: Any, mcfg: Any) -> str:
    return stable_hash([data_key, ref_key, dataclasses.asdict(ucfg), dataclasses.asdict(mcfg)])


def _run_one(model: str, forget: str, retain: str | None, folder: Path, ucfg: Any, mcfg: Any, splits: dict,
             sources: dict, absent: dict, retain_ev: Any, eval_cfg: Any, keep_models: bool) -> dict[str, Any]:
    from meow.evaluate import evaluate
    from meow.modeling import load_lm
    from meow.unlearn import unlearn

    start = time.time()
    s = unlearn(model, forget, str(folder / "model"), ucfg, mcfg, retain=retain, force=True)
    t_eval = time.time()
    result = evaluate(load_lm(folder / "model"), splits, retain_ev, cfg=eval_cfg, sources=sources,
                      missing_splits=absent, progress=False)
    result.save(folder / "eval", {"model": str(folder / "model"), "options": dataclasses.asdict(eval_cfg),
                                  "made_by": "meow sweep"})
    if not keep_models:
        shutil.rmtree(folder / "model", ignore_errors=True)
    return {"values": summary_values(result.summary), "options": {**dataclasses.asdict(ucfg),
                                                                   **dataclasses.asdict(mcfg)},
            "steps": s["steps"], "final_loss": s["final_loss"], "unlearn_seconds": round(t_eval - start, 2),
            "eval_seconds": round(time.time() - t_eval, 2)}


def _print_estimate(console: Any, method: str, grid: Grid, seeds: list[int], pending: list, done: int,
                    results: dict[str, dict[str, Any]], n_forget: int, pace: dict[str, float] | None = None) -> None:
    """How many runs and optimizer steps are left, and a time estimate from runs already done (if any)."""
    steps = sum(estimate_steps(method, n_forget, u) for _, _, u, _, _ in pending)
    shape = " x ".join(f"{len(v)} {k}" for k, v in grid.items()) or "1 point"
    line = (f"sweep {method}: {shape} x {len(seeds)} seed(s) = {len(pending) + done} runs ({done} done earlier), "
            f"{steps} optimizer steps to go")
    timed = [r for r in results.values() if r.get("steps")]
    if pending and timed:
        per_step = sum(r["unlearn_seconds"] for r in timed) / sum(r["steps"] for r in timed)
        per_eval = sum(r["eval_seconds"] for r in timed) / len(timed)
        line += f"; about {_duration(steps * per_step + len(pending) * per_eval)} (from the runs done)"
    elif pending and pace:
        line += (f"; about {_duration(steps * pace['seconds_per_step'] + len(pending) * pace['eval_seconds'])} "
                 "(from this machine's earlier run)")
    elif pending:
        line += "; a time estimate follows the first run"
    console.print(line)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _label(column: str) -> str:
    return next((c.short or c.label for c in COLUMNS if c.name == column), column).replace("\n", " ")


def _f(v: float | None) -> str:
    from meow.report.columns import fmt

    return fmt(v)


def aggregate(method: str, model: str, grid: Grid, seeds: list[int], base: dict[str, Any],
              results: dict[str, dict[str, Any]], target: Reference, retain: Reference) -> dict[str, Any]:
    """sweep.json: one row per grid point (mean / min / max over seeds per metric), in grid order."""
    rows, notes = [], []
    for p in points(grid):
        names = [point_name(p, s) for s in seeds]
        have = [results[n] for n in names if n in results]
        values = {m: spread([r["values"].get(m) for r in have]) for m in METRICS}
        label = point_name(p)
        rows.append({"name": label, "point": p, "runs": [r["name"] for r in have], "seeds": [r["seed"] for r in have],
                     "values": values})
        fq = values["forget_quality"]
        if crosses_line(fq):
            above = [r["seed"] for r in have if (r["values"]["forget_quality"] or 0) > FORGET_QUALITY_LINE]
            notes.append(f"{method} {label}: forget quality crosses {FORGET_QUALITY_LINE} across seeds ({_f(fq['min'])} to "
                         f"{_f(fq['max'])}; above it with seed(s) {', '.join(map(str, above))})")
    return {"format": FORMAT, "method": method, "model": model, "grid": grid, "seeds": seeds, "base": base,
            "metrics": list(METRICS), "target": dataclasses.asdict(target) | {"folder": str(target.folder)},
            "retain": dataclasses.asdict(retain) | {"folder": str(retain.folder) if retain.folder else None}, "points": rows, "notes": notes,
            "created": time.strftime("%Y-%m-%d %H:%M:%S")}


def write_outputs(table: dict[str, Any], out: Path) -> None:
    from meow.io import atomic_write_text
    from meow.report.frontier import frontier_plot
    from meow.sweep.table import to_csv, to_markdown

    write_json(out / "sweep.json", table)
    atomic_write_text(out / "table.csv", to_csv([table]))
    atomic_write_text(out / "table.md", to_markdown([table]))
    frontier_plot([table], out / "frontier.png")
    if SIZE_KEY in table["grid"]:  # MUSE's scalability figure: forget / utility against the forget-set size
        from meow.report.sequence import scaling_plot, scaling_points

        scaling_plot(scaling_points([table]), out / "scalability.png")


def load_sweep(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / "sweep.json"
    if not path.is_file():
        raise MeowError(f"{folder}: not a sweep folder (no sweep.json)")
    return read_json(path)
