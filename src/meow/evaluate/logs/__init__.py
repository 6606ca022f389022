"""Evaluation logs of other tools as meow eval.json content, so `meow summarize` and `meow eval --retain-eval`
aggregate them with meow's own code: one reader, `read_eval_logs(path)`, for

- a `meow eval` output folder (or its eval.json);
- TOFU's evaluation output (locuslab/tofu evaluate_util.py): a folder holding eval_log.json, eval_log_forget.json,
  eval_real_author_wo_options.json, eval_real_world_wo_options.json (any subset), or the single
  eval_log_aggregated.json holding those four as keys, or one of those files;
- open-unlearning's TOFU_EVAL.json (src/evals/base.py save_logs: metric name -> {"agg_value", "value_by_index"}),
  or a folder holding it.

Per-question values become meow records (`nll_answer`, `nll_paraphrased`, `nll_perturbed`, `probability`,
`truth_ratio`, `log_truth_ratio`, `rouge_l_recall`, `mia`, ...), keyed by the logs' question index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.evaluate.logs.open_unlearning import from_open_unlearning, is_open_unlearning
from meow.evaluate.logs.records import require_records
from meow.evaluate.logs.tofu_logs import TOFU_FILES, from_tofu, is_tofu
from meow.evaluate.results import read_eval_data
from meow.io import read_json_file

__all__ = ["TOFU_FILES", "detect_format", "read_eval_logs"]


def _read(path: Path) -> Any:
    return read_json_file(path)


def _folder_files(p: Path) -> tuple[str, Any, Path]:
    """(format, content, the file it came from: named in errors) of a folder of logs."""
    if (p / "eval.json").is_file():
        return "meow", p / "eval.json", p / "eval.json"
    if (p / "eval_log_aggregated.json").is_file():
        return "tofu", _read(p / "eval_log_aggregated.json"), p / "eval_log_aggregated.json"
    tofu = {name: p / name for name in TOFU_FILES if (p / name).is_file()}
    if tofu:
        return "tofu", {name: _read(f) for name, f in tofu.items()}, p
    ou = sorted(p.glob("*_EVAL.json"))
    if len(ou) == 1:
        return "open-unlearning", _read(ou[0]), ou[0]
    have = ", ".join(sorted(q.name for q in p.iterdir() if q.suffix == ".json")) or "no JSON files"
    raise MeowError(f"{p}: not an evaluation folder, no eval.json: expected eval.json (meow eval), eval_log_aggregated.json or "
                    f"eval_log*.json (TOFU), or one *_EVAL.json (open-unlearning); found: {have}")


def detect_format(path: str | Path) -> tuple[str, Any]:
    """("meow" | "tofu" | "open-unlearning", content or the eval.json path)."""
    return _detect(path)[:2]


def _detect(path: str | Path) -> tuple[str, Any, Path]:
    """detect_format's answer and the file (or folder of TOFU files) the content came from."""
    p = Path(path)
    if p.is_dir():
        return _folder_files(p)
    if not p.is_file():
        raise MeowError(f"{path}: not found, so no eval.json (expected a `meow eval` folder, TOFU's eval output or "
                        "open-unlearning's TOFU_EVAL.json)")
    data = _read(p)
    if isinstance(data, dict) and isinstance(data.get("splits"), dict):
        return "meow", p, p
    if is_tofu(data):
        return "tofu", data, p
    if isinstance(data, dict) and "avg_gt_loss" in data:
        if p.name not in TOFU_FILES:
            raise MeowError(f"{p}: a single TOFU log must keep its file name ({', '.join(TOFU_FILES)}) to say "
                            "which set it covers")
        return "tofu", {p.name: data}, p
    if is_open_unlearning(data):
        return "open-unlearning", data, p
    raise MeowError(f"{p}: not a known evaluation log (meow eval.json with 'splits', TOFU eval_log*.json with "
                    "'avg_gt_loss', or open-unlearning *_EVAL.json with 'agg_value' / 'value_by_index' entries)")


def read_eval_logs(path: str | Path) -> dict[str, Any]:
    """eval.json content (meow's layout) from any supported evaluation log; see the module docstring."""
    fmt, content, source = _detect(path)
    if fmt == "meow":
        data, _ = read_eval_data(content)
    elif fmt == "tofu":
        data = from_tofu(content, str(source))
    else:
        data = from_open_unlearning(content, str(source))
    return {**require_records(data, path), "log_format": fmt}
