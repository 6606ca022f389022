"""The demo's stage runner: every stage is a `Stage` with a key, the hash of its options and of the keys of the
stages it reads. The run folder's `manifest.json` records the key of each finished stage, so a second run skips what
is done (unless `--force`), a changed option re-runs exactly the stages downstream of it, and an interrupted run
continues where it stopped: a stage's outputs are written atomically and it is marked finished only after they are.

    RUN/manifest.json   {"stages": {name: {"key", "seconds", "finished"}}, ...facts the demo records (`note`)}
    RUN/timings.json    [{"stage", "seconds", "reused"}] of this run (`print_timings`)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meow.demo.lines import stage_line
from meow.io import read_json, stable_hash, write_json


@dataclass
class Stage:
    name: str
    key: str
    outputs: list[Path]
    run: Callable[[], Any]


def key(*parts: Any) -> str:
    """A stage key: the stable hash of its options and of the keys of the stages it reads."""
    return stable_hash(parts)


class Runner:
    """Runs stages in order, skipping those whose key is recorded as finished in manifest.json."""

    def __init__(self, run_dir: Path, force: bool, console: Any):
        self.dir, self.force, self.console = run_dir, force, console
        self.path = run_dir / "manifest.json"
        self.manifest: dict[str, Any] = read_json(self.path) if self.path.is_file() else {"stages": {}}
        self.timings: list[tuple[str, float, bool]] = []

    def done(self, stage: Stage) -> bool:
        entry = self.manifest["stages"].get(stage.name)
        return (not self.force and entry is not None and entry["key"] == stage.key
                and all(p.exists() for p in stage.outputs))

    def stage_key(self, name: str) -> str:
        """The key of a stage finished in this run folder (KeyError if it never ran)."""
        return self.manifest["stages"][name]["key"]

    def note(self, **facts: Any) -> None:
        """Record run-level facts next to the stages in manifest.json (e.g. the benchmark and its methods)."""
        self.manifest.update(facts)
        write_json(self.path, self.manifest)

    def __call__(self, stage: Stage) -> str:
        if self.done(stage):
            self.timings.append((stage.name, self.manifest["stages"][stage.name]["seconds"], True))
            self.console.print(f"[dim]= {stage.name}: done earlier, reused[/]")
            return stage.key
        start = time.time()
        stage.run()
        seconds = round(time.time() - start, 1)
        self.manifest["stages"][stage.name] = {"key": stage.key, "seconds": seconds,
                                               "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        write_json(self.path, self.manifest)
        self.timings.append((stage.name, seconds, False))
        line = stage_line(stage.name, self.dir)
        self.console.print(f"[green]✓[/] {stage.name} [dim]({seconds:.1f} s)[/]" + (f": {line}" if line else ""))
        return stage.key


def is_run_folder(folder: Path) -> bool:
    """A folder `meow demo` made: its manifest.json is an object with a "stages" mapping."""
    try:
        manifest = read_json(folder / "manifest.json")
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and isinstance(manifest.get("stages"), dict)


def start_run(out: str | Path, cfg: Any, force: bool, console: Any = None) -> tuple[Path, Runner, Any]:
    """Open a demo's run folder (every benchmark's demo starts so): torch's thread count, the options checked
    (`meow.config.validate_config`, for a config given directly), transformers quiet, `environment.json` and
    `config.yaml` written, and a `Runner` over its manifest. Returns (run folder, runner, console)."""
    from rich.console import Console

    from meow.config import save_config, validate_config
    from meow.demo.environment import write_environment

    console = console or Console()
    if cfg.threads > 0:
        import torch

        torch.set_num_threads(cfg.threads)
    validate_config(cfg)
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    quiet_transformers()
    write_environment(run)
    save_config(cfg, run / "config.yaml")
    return run, Runner(run, force, console), console


def quiet_transformers() -> None:
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def report(run: Path, console: Any) -> dict[str, Any]:
    """Always rebuilt: it is cheap and reflects whatever the run folder holds now. Prints the final tables."""
    from meow.report import build_report, print_report

    table = build_report(run, force=True)  # rebuilt on every run (a derived view of the run folder)
    print_report(table, console)
    return table


def print_timings(console: Any, timings: list[tuple[str, float, bool]], run: Path) -> None:
    """Time per kind of stage (train, eval, unlearn, ...); every stage's own time goes to timings.json."""
    from rich.table import Table

    write_json(run / "timings.json", [{"stage": n, "seconds": s, "reused": r} for n, s, r in timings])
    groups: dict[str, list[tuple[float, bool]]] = {}
    for name, seconds, reused in timings:
        groups.setdefault(name.split()[0], []).append((seconds, reused))
    table = Table(title="time per stage, this run", caption=f"each stage: {run / 'timings.json'}")
    for col, justify in (("stage", "left"), ("ran", "right"), ("reused", "right"), ("seconds", "right")):
        table.add_column(col, justify=justify)
    total = 0.0
    for kind, runs in groups.items():
        seconds = sum(s for s, reused in runs if not reused)
        total += seconds
        table.add_row(kind, str(sum(not r for _, r in runs)), str(sum(r for _, r in runs)), f"{seconds:.1f}")
    table.add_row("[bold]total", "", "", f"[bold]{total:.1f}")
    console.print(table)
