"""The demos' optional stages: pre-training (the TOFU demo, meow.demo.tofu), repeated seeds and the per-method sweeps
(the TOFU and known-facts demos; both through `meow.sweep.run_sweep`, so they resume point by point).

    RUN/seeds/<method>/           --seeds N: seeds seed+1 .. seed+N-1 of the default point (seed `seed` is the main run)
    RUN/sweeps/<method>/          --sweep: the method over `sweep_grid` (x the same seeds)
    RUN/pretrain/, RUN/models/pretrained   --pretrain-authors N: the pre-training corpus and model
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from meow.demo.runner import Runner, Stage, key
from meow.io import read_json


def extra_seeds(seed: int, n: int) -> list[int]:
    """The seeds run besides the main one: seed+1 .. seed+n-1."""
    return list(range(seed + 1, seed + n))


def sweep_stage_run(run: Path, method: str, overrides: dict[str, Any], folder: Path, grid: dict[str, list[Any]],
                    seeds: list[int], retain_split: str, forget_split: str, eval_cfg: Any, console: Any,
                    target: str | None = None, retain_eval: Path | None = None) -> None:
    """One method's sweep (or extra seeds: an empty grid) from the demo's target (default RUN/models/target), against
    `retain_eval` (None: the benchmark has no retain model, e.g. known facts)."""
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
    run_sweep(method, target or str(run / "models" / "target"), str(run / "memo" / "forget.json"), folder,
              data=run / "data", forget_split=forget_split, retain=str(run / "data" / f"{retain_split}.json"),
              retain_eval=retain_eval, target_eval=run / "evals" / "target", grid=grid, seeds=seeds,
              base=base, eval_cfg=eval_cfg, console=console, pace=pace)


def pretrain_stage(runner: Runner, cfg: Any, run: Path, k_data: str, tiny: Any, train_cfg: Any) -> str:
    """RUN/pretrain/: the benchmark's files plus pretrain.json (meow.benchmark.generate.pretrain_corpus: other
    authors and background facts, none of the benchmark's); RUN/models/pretrained: a tiny model trained from
    scratch on pretrain.json, its tokenizer trained on every file there (so it covers the benchmark's text)."""
    import dataclasses
    import shutil

    from meow.benchmark.generate import pretrain_corpus
    from meow.io import write_jsonl
    from meow.modeling.train import train

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


def seeds_and_sweeps(runner: Runner, cfg: Any, run: Path, forget_split: str, retain_split: str, eval_cfg: Any,
                     method_overrides: Callable[[str], dict[str, Any]], target: str | None = None,
                     retain_eval: Path | None = None) -> None:
    """--seeds N: the default point again with seeds seed+1 .. seed+N-1 (RUN/seeds/<method>); --sweep: every method
    over sweep_grid with all N seeds (RUN/sweeps/<method>). Both through meow.sweep, so they resume run by run.
    `method_overrides(method)`: the `meow unlearn` options of the demo's own run of that method; `target`: the
    starting model (default RUN/models/target); `retain_eval`: the retain model's evaluation (None: none exists)."""

    grid = demo_grid(cfg) if cfg.sweep else {}
    jobs = [("seeds", {}, extra_seeds(cfg.seed, cfg.seeds))] if cfg.seeds > 1 else []
    if cfg.sweep:
        jobs.append(("sweep", grid, [cfg.seed, *extra_seeds(cfg.seed, cfg.seeds)]))
    base = [runner.stage_key(s) for s in ("memo (target)", "eval retain", "eval target") if s in runner.manifest["stages"]]
    for kind, g, seeds in jobs:
        for method in cfg.methods:
            folder = run / ("seeds" if kind == "seeds" else "sweeps") / method
            over = method_overrides(method)
            runner(Stage(f"{kind} {method}", key(base, over, g, seeds, eval_cfg), [folder / "sweep.json"],
                         lambda method=method, folder=folder, over=over, g=g, seeds=seeds: sweep_stage_run(
                             run, method, over, folder, g, seeds, retain_split, forget_split, eval_cfg, runner.console,
                             target, retain_eval)))
