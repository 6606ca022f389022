"""General language understanding through lm-evaluation-harness (MEOW's NLU check: PIQA, ARC-Easy, ARC-Challenge).

    from meow.evaluate.nlu import run_nlu, write_nlu
    result = run_nlu(lm, ["piqa", "arc_easy", "arc_challenge"], include_path="tasks/", limit=200)
    result["tasks"]["piqa"]["acc"]

The model runs inside lm-eval as `meow.evaluate.harness.MeowHarnessLM` (an `lm_eval.api.model.LM` on meow's batched
`score` / `generate`), so the numbers are lm-eval's: `acc` = share of questions whose highest summed log-likelihood
choice is the right one, `acc_norm` = the same with each choice's log-likelihood divided by its length in characters.

Prompt format. Tasks bring their own prompts ("Question: {goal}\\nAnswer:" for PIQA) and multiple-choice tasks score
the raw continuations " {choice}" after them, so the model's recorded format (meow.json) does not wrap them; the
tokenizer's BOS is added as for `plain` prompts. It matters for `chat` models: with `chat="auto"` (default) lm-eval's
`apply_chat_template` then wraps each context in the tokenizer's chat template (with the format's system prompt), as
lm-eval recommends for instruction-tuned models; `chat="on"` / `"off"` force it.

Offline data. `include_path` is a folder of lm-eval task YAMLs; a task there overrides a built-in one of the same
name, and when every requested task is found there the built-in index (about 15,000 tasks) is not even read.
A task that reads local files:

    task: piqa
    dataset_path: json
    dataset_kwargs: {data_files: {validation: /data/piqa/valid.jsonl}}
    validation_split: validation
    output_type: multiple_choice
    doc_to_text: "Question: {{goal}}\\nAnswer:"
    doc_to_choice: "{{[sol1, sol2]}}"
    doc_to_target: label
    metric_list: [{metric: acc}, {metric: acc_norm}]

Output folder (`write_nlu`):

    nlu.json     {"format": 1, "model": "path", "tasks": {"piqa": {"acc": 0.71, "acc_stderr": 0.01, "acc_norm": 0.72,
                  "acc_norm_stderr": 0.01, "n": 1838, "n_total": 1838, "num_fewshot": 0, "version": 1.0}, ...},
                  "options": {...}, "lm_eval_version": "0.4.x"}
    samples.jsonl  one line per question: {"task", "doc_id", "target", "context" (the text the model was given),
                  "choices": [[log-likelihood, is_greedy], ...] and the "continuations" scored
                  (multiple choice) or "response" (generation), and the per-question metric values}
    config.json  the command's options, the task configs lm-eval used, package versions
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meow.errors import MeowError
from meow.io import atomic_write_text, write_json

if TYPE_CHECKING:
    from meow.modeling import LM

FORMAT = 1
DEFAULT_TASKS = ("piqa", "arc_easy", "arc_challenge")
CHAT_MODES = ("auto", "on", "off")
MISSING = "lm-eval is not installed; install the `nlu` extra: pip install 'meow[nlu]' (or pip install lm-eval)"


@dataclass
class NLUConfig:
    """Options of `meow eval-nlu` (saved next to the results)."""

    limit: float | None = field(default=None, metadata={"help": "questions per task (a share if < 1); all if unset", "gt": 0})
    num_fewshot: int | None = field(default=None, metadata={"help": "few-shot examples (default: the task's, else 0)", "ge": 0})
    batch_size: int = field(default=32, metadata={"help": "rows per forward pass", "ge": 1})
    chat: str = field(default="auto", metadata={"help": "wrap contexts in the chat template: auto (chat models), on, off",
                                                "choices": ("auto", "on", "off")})
    seed: int = field(default=0, metadata={"help": "seed for few-shot sampling and any sampled generation", "ge": 0})


def require_lm_eval() -> Any:
    """The lm_eval package, or a one-line MeowError saying how to install it."""
    try:
        import lm_eval
    except ImportError:
        raise MeowError(MISSING) from None
    return lm_eval


def task_manager(tasks: list[str], include_path: str | Path | None = None) -> Any:
    """lm-eval's TaskManager; the built-in index is read only when a task is not in `include_path`."""
    from lm_eval.tasks import TaskManager

    if include_path is not None:
        p = Path(include_path)
        if not p.is_dir():
            raise MeowError(f"--include-path {include_path}: not a folder of task YAML files")
        local = TaskManager(include_path=str(p), include_defaults=False)
        if all(t in local.all_tasks for t in tasks):
            return local
    tm = TaskManager(include_path=str(include_path) if include_path else None)
    unknown = [t for t in tasks if t not in tm.all_tasks]
    if unknown:
        where = f" (nor in {include_path})" if include_path else ""
        raise MeowError(f"unknown lm-eval task(s) {', '.join(unknown)}{where}; list them with `lm-eval ls tasks`")
    return tm


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x)) else None


def _task_results(res: dict[str, Any], task: str) -> dict[str, Any]:
    """lm-eval's "acc,none" / "acc_stderr,none" keys -> {"acc": ..., "acc_stderr": ...} plus counts."""
    out: dict[str, Any] = {}
    for key, value in res["results"].get(task, {}).items():
        if "," not in key:
            continue
        name, flt = key.split(",", 1)
        out[name if flt == "none" else f"{name}/{flt}"] = _number(value)
    counts = res.get("n-samples", {}).get(task, {})
    out["n"], out["n_total"] = counts.get("effective"), counts.get("original")
    out["num_fewshot"] = res.get("n-shot", {}).get(task)
    out["version"] = res.get("versions", {}).get(task)
    return out


def _sample_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for task, samples in (res.get("samples") or {}).items():
        for s in samples:
            args = s.get("arguments") or [[None]]
            row: dict[str, Any] = {"task": task, "doc_id": s.get("doc_id"), "target": s.get("target"),
                                   "context": args[0][0]}
            resps = s.get("filtered_resps")
            if resps and isinstance(resps[0], (tuple, list)):
                row["choices"] = [[float(r[0]), bool(r[1])] for r in resps]
                row["continuations"] = [a[1] for a in args]
            elif resps:
                row["response"] = resps[0] if isinstance(resps, list) else resps
            for m in s.get("metrics", []):
                row[m] = s.get(m)
            rows.append(row)
    return rows


def run_nlu(lm: LM, tasks: list[str] | tuple[str, ...] = DEFAULT_TASKS, include_path: str | Path | None = None,
            cfg: NLUConfig | None = None) -> dict[str, Any]:
    """Run lm-eval tasks on a loaded model; returns {"nlu": nlu.json content, "samples": [...], "configs": {...}}."""
    require_lm_eval()
    from lm_eval import simple_evaluate

    from meow.config import validate_config
    from meow.evaluate.harness import MeowHarnessLM

    cfg = validate_config(cfg or NLUConfig())
    tasks = [t.strip() for t in tasks if t.strip()]
    if not tasks:
        raise MeowError("--tasks: name at least one lm-eval task")
    chat = cfg.chat == "on" or (cfg.chat == "auto" and lm.fmt.kind == "chat")
    tm = task_manager(tasks, include_path)
    limit = int(cfg.limit) if cfg.limit is not None and cfg.limit >= 1 else cfg.limit
    res = simple_evaluate(MeowHarnessLM(lm, cfg.batch_size, chat), tasks=tasks, task_manager=tm, limit=limit,
                          num_fewshot=cfg.num_fewshot, bootstrap_iters=1000, log_samples=True,
                          apply_chat_template=chat, system_instruction=lm.fmt.system if chat else None,
                          random_seed=cfg.seed, numpy_random_seed=cfg.seed, torch_random_seed=cfg.seed,
                          fewshot_random_seed=cfg.seed)
    import lm_eval

    nlu = {"format": FORMAT, "model": lm.path, "tasks": {t: _task_results(res, t) for t in res["results"]},
           "options": {**asdict(cfg), "chat_applied": chat, "include_path": str(include_path) if include_path else None,
                       "tasks": tasks},
           "lm_eval_version": lm_eval.__version__}
    return {"nlu": nlu, "samples": _sample_rows(res), "configs": res.get("configs", {})}


def write_nlu(out_dir: str | Path, result: dict[str, Any], config: dict[str, Any] | None = None) -> Path:
    """nlu.json, samples.jsonl and config.json (the options plus lm-eval's task configs), atomically."""
    out = Path(out_dir)
    write_json(out / "nlu.json", result["nlu"])
    atomic_write_text(out / "samples.jsonl",
                      "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in result["samples"]))
    write_json(out / "config.json", {**(config or {}), "task_configs": json.loads(json.dumps(result["configs"],
                                                                                             default=str))})
    return out


def nlu_table(nlu: dict[str, Any]) -> Any:
    """A rich table: one row per task, acc and acc_norm (with standard errors) and the question count."""
    from rich.table import Table

    t = Table(title=f"meow eval-nlu: {nlu.get('model') or 'model'}")
    for col in ("task", "acc", "acc_norm", "n"):
        t.add_column(col, justify="left" if col == "task" else "right")

    def cell(entry: dict[str, Any], name: str) -> str:
        v, se = entry.get(name), entry.get(f"{name}_stderr")
        if v is None:
            return "-"
        return f"{v:.4f}" + (f" ± {se:.4f}" if se is not None else "")

    for task, entry in nlu["tasks"].items():
        t.add_row(task, cell(entry, "acc"), cell(entry, "acc_norm"), str(entry.get("n") or "-"))
    return t
