"""The demo's additions to its staged pipeline (meow.pipeline): the environment record, a one-line result per stage,
repeated seeds and the per-method sweeps (both through `meow.sweep.run_sweep`, so they resume point by point).

    RUN/environment.json          versions, threads, CPU identity and kernel level, GPU (meow.kernels.environment)
    RUN/seeds/<method>/           --seeds N: seeds seed+1 .. seed+N-1 of the default point (seed `seed` is the main run)
    RUN/sweeps/<method>/          --sweep: the method over `sweep_grid` (x the same seeds)
    RUN/pretrain/, RUN/models/pretrained   --pretrain-authors N: the pre-training corpus and model
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.io import read_json, write_json


def write_environment(run: Path) -> dict[str, Any]:
    """RUN/environment.json: meow.kernels.environment (versions, threads, CPU identity, kernels in effect)."""
    from meow.kernels import environment

    env = environment()
    write_json(run / "environment.json", env)
    return env


def _num(v: Any) -> str:
    from meow.report.columns import fmt

    return fmt(v if isinstance(v, (int, float)) else None)


def stage_line(name: str, run: Path) -> str:
    """The one-line result of a finished stage, read from its outputs ('' when there is nothing short to say)."""
    kind, _, rest = name.partition(" ")
    try:
        if kind == "eval":
            s = read_json(run / "evals" / rest / "summary.json")
            if s.get("kind") == "muse":  # meow eval-muse: MUSE's headline numbers
                return ", ".join(f"{label} {_num((s.get(key) or {}).get('value'))}" for key, label in (
                    ("verbmem_forget", "VerbMem forget"), ("knowmem_forget", "KnowMem forget"),
                    ("knowmem_retain", "KnowMem retain"), ("privleak", "PrivLeak")))
            fq = (s.get("forget_quality") or {}).get("value")
            hit = s.get("splits", {}).get("forget", {}).get("fact_hit", {}).get("value")
            return (f"model utility {_num((s.get('model_utility') or {}).get('value'))}"
                    + (f", forget quality {_num(fq)}" if fq is not None else "") + f", forget key-fact acc. {_num(hit)}")
        if kind == "train":
            m = read_json(run / "models" / rest.split()[0] / "meow.json")
            return f"{m.get('records')} records, mean training loss {_num(m.get('train_loss'))}"
        if kind == "unlearn":
            s = read_json(run / "models" / rest / "unlearn_summary.json")
            return f"{s['rows']} rows, {s['steps']} steps, last loss {_num(s.get('final_loss'))}"
        if kind in ("seeds", "sweep"):
            t = read_json(run / ("seeds" if kind == "seeds" else "sweeps") / rest / "sweep.json")
            return f"{len(t['points'])} point(s) x {len(t['seeds'])} seed(s)" + (
                f"; {len(t['notes'])} note(s)" if t.get("notes") else "")
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return ""


def extra_seeds(seed: int, n: int) -> list[int]:
    """The seeds run besides the main one: seed+1 .. seed+n-1."""
    return list(range(seed + 1, seed + n))


def sweep_stage_run(run: Path, method: str, overrides: dict[str, Any], folder: Path, grid: dict[str, list[Any]],
                    seeds: list[int], retain_split: str, forget_split: str, eval_cfg: Any, console: Any) -> None:
    """One method's sweep (or extra seeds: an empty grid) from the demo's target, against its retain evaluation."""
    from meow.sweep.api import run_sweep

    base = {k: v for k, v in overrides.items() if k not in ("method", "seed")}
    pace = None
    try:  # the demo's own run of this method: the sweep's first time estimate
        done = read_json(run / "models" / method / "unlearn_summary.json")
        stages = read_json(run / "manifest.json")["stages"]
        pace = {"seconds_per_step": done["total_seconds"] / max(1, done["steps"]),
                "eval_seconds": stages[f"eval {method}"]["seconds"]}
    except (OSError, ValueError, KeyError):
        pass
    run_sweep(method, str(run / "models" / "target"), str(run / "memo" / "forget.json"), folder, data=run / "data",
              forget_split=forget_split, retain=str(run / "data" / f"{retain_split}.json"),
              retain_eval=run / "evals" / "retain", target_eval=run / "evals" / "target", grid=grid, seeds=seeds,
              base=base, eval_cfg=eval_cfg, console=console, pace=pace)


def seed_values(run: Path, method: str) -> list[dict[str, Any]]:
    """Per extra seed: the sweep's run result (values) of the default point."""
    folder = run / "seeds" / method
    if not (folder / "sweep.json").is_file():
        return []
    table = read_json(folder / "sweep.json")
    return [read_json(folder / "runs" / n / "result.json") for p in table["points"] for n in p["runs"]]


def pretrain_stage(runner: Any, cfg: Any, run: Path, k_data: str, tiny: Any, train_cfg: Any) -> str:
    """RUN/pretrain/: the benchmark's files plus pretrain.json (meow.benchmark.generate.pretrain_corpus: other
    authors and background facts, none of the benchmark's); RUN/models/pretrained: a tiny model trained from
    scratch on pretrain.json, its tokenizer trained on every file there (so it covers the benchmark's text)."""
    import dataclasses
    import shutil

    from meow.benchmark.generate import pretrain_corpus
    from meow.io import write_jsonl
    from meow.modeling.train import train
    from meow.pipeline import Stage, key

    folder = run / "pretrain"
    pre_cfg = dataclasses.replace(train_cfg, epochs=cfg.pretrain_epochs)

    def go() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for f in (run / "data").glob("*.json"):
            if f.name != "benchmark.json":
                shutil.copyfile(f, folder / f.name)
        write_jsonl(folder / "pretrain.json", pretrain_corpus(cfg.pretrain_authors, cfg.pretrain_background, cfg.seed,
                                                              cfg.authors, cfg.background))
        train(str(folder), "pretrain", str(run / "models" / "pretrained"), init="tiny", cfg=pre_cfg, tiny=tiny,
              force=True)
    return runner(Stage("train pretrained (pretrain)", key(k_data, cfg.pretrain_authors, cfg.pretrain_background,
                                                          tiny, pre_cfg), [run / "models" / "pretrained"], go))


def demo_grid(cfg: Any) -> dict[str, list[Any]]:
    from meow.sweep.grid import parse_grid
    from meow.unlearn.config import method_keys, train_keys

    return parse_grid([a for a in cfg.sweep_grid.split(";") if a.strip()], train_keys() | method_keys())


def seeds_and_sweeps(runner: Any, cfg: Any, run: Path, retain_split: str, eval_cfg: Any) -> None:
    """--seeds N: the default point again with seeds seed+1 .. seed+N-1 (RUN/seeds/<method>); --sweep: every method
    over sweep_grid with all N seeds (RUN/sweeps/<method>). Both through meow.sweep, so they resume run by run."""
    from meow.pipeline import Stage, key, method_overrides

    grid = demo_grid(cfg) if cfg.sweep else {}
    jobs = [("seeds", {}, extra_seeds(cfg.seed, cfg.seeds))] if cfg.seeds > 1 else []
    if cfg.sweep:
        jobs.append(("sweep", grid, [cfg.seed, *extra_seeds(cfg.seed, cfg.seeds)]))
    base = [runner.manifest["stages"][s]["key"] for s in ("memo (target)", "eval retain", "eval target")]
    for kind, g, seeds in jobs:
        for method in cfg.methods:
            folder = run / ("seeds" if kind == "seeds" else "sweeps") / method
            over = method_overrides(cfg, method)
            runner(Stage(f"{kind} {method}", key(base, over, g, seeds, eval_cfg), [folder / "sweep.json"],
                         lambda method=method, folder=folder, over=over, g=g, seeds=seeds: sweep_stage_run(
                             run, method, over, folder, g, seeds, retain_split, cfg.forget_split, eval_cfg, runner.console)))
