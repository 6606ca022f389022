"""`meow demo --scaling`: every demo method at each forget size (TOFU: the forget percentages up to the demo's forget
split; known facts: 1 .. --forget-entities whole entities), each from the target model (MUSE's scalability setting; `meow sweep --grid forget_size=...`, so it resumes size by size).

    RUN/scaling/<method>/   a sweep folder over forget_size (sweep.json, scalability.png, runs/...)

The report draws forget and utility against the size, one line per method (meow.report.sequence). Optional and
sized by the benchmark: one more unlearning + evaluation per method and size (40 authors: forget05 and forget10).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from meow.demo.runner import Runner, Stage, key


def scaling_sizes(authors: int, forget_split: str) -> list[int]:
    """The TOFU percentages of `authors` up to the demo's forget split (forget10: 1, 5, 10 where whole authors)."""
    from meow.benchmark import forget_sizes

    top = int(forget_split.removeprefix("forget"))
    return [p for p in forget_sizes(authors) if p <= top]


def scaling_stages(runner: Runner, cfg: Any, run: Path, retain_split: str, eval_cfg: Any,
                   method_overrides: Callable[[str], dict[str, Any]]) -> None:
    """The TOFU demo's sizes: its forget percentages up to --forget-split (`size_stages`)."""
    from meow.errors import warn

    sizes = scaling_sizes(cfg.authors, cfg.forget_split)
    if len(sizes) < 2:
        warn(f"--scaling: --authors {cfg.authors} gives one forget size up to {cfg.forget_split} ({sizes}); use a "
             "multiple of 20 (forget05, forget10) or of 100 (also forget01)")
        return
    size_stages(runner, cfg, run, sizes, cfg.forget_split, retain_split, eval_cfg, method_overrides,
                retain_eval=run / "evals" / "retain")


def entity_scaling_stages(runner: Runner, cfg: Any, run: Path, eval_cfg: Any,
                          method_overrides: Callable[[str], dict[str, Any]]) -> None:
    """The known-facts demo's sizes: 1 .. --forget-entities whole entities (forget_1 .. forget_N of its benchmark,
    meow.benchmark.known_facts.requests), from the model itself, with no retain model."""
    from meow.errors import warn

    if cfg.forget_entities < 2:
        warn(f"--scaling: --forget-entities {cfg.forget_entities} gives one forget size; forget 2 entities or more")
        return
    size_stages(runner, cfg, run, list(range(1, cfg.forget_entities + 1)), "forget", "retain", eval_cfg,
                method_overrides, target=cfg.model, retain_eval=None)


def size_stages(runner: Runner, cfg: Any, run: Path, sizes: list[int], forget_split: str, retain_split: str,
                eval_cfg: Any, method_overrides: Callable[[str], dict[str, Any]], target: str | None = None,
                retain_eval: Path | None = None) -> None:
    """One `scaling <method>` stage per method (meow.demo.extra.sweep_stage_run over the forget_size grid)."""
    from meow.demo.extra import sweep_stage_run

    grid = {"forget_size": sizes}
    base = [runner.stage_key(s) for s in ("memo (target)", "eval retain", "eval target") if s in runner.manifest["stages"]]
    for method in cfg.methods:
        folder = run / "scaling" / method
        over = method_overrides(method)
        runner(Stage(f"scaling {method}", key(base, over, grid, eval_cfg), [folder / "sweep.json"],
                     lambda method=method, folder=folder, over=over: sweep_stage_run(
                         run, method, over, folder, grid, [cfg.seed], retain_split, forget_split, eval_cfg,
                         runner.console, target, retain_eval)))
