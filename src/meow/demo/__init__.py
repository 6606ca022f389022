"""`meow demo`: the whole toolkit end to end on a built-in benchmark, offline, resumable stage by stage.

    runner.py        Stage, Runner (manifest.json: finished stages by key), timings, the final report
    environment.py   RUN/environment.json (versions, threads, CPU / GPU)
    lines.py         the one-line result printed after each stage
    tofu.py          the fictitious-authors demo (DemoConfig, run_demo), with its attack and NLG stages
    muse.py          the MUSE-format text demo (MuseDemoConfig, run_muse_demo)
    extra.py         the TOFU demo's pre-training, --seeds and --sweep stages
    commands.py      the `meow demo` command
"""

from meow.demo.muse import MuseDemoConfig, run_muse_demo
from meow.demo.tofu import DemoConfig, run_demo

__all__ = ["DemoConfig", "MuseDemoConfig", "run_demo", "run_muse_demo"]
