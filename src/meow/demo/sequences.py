"""`meow demo --requests K`: every demo method over K sequential requests (MUSE's sustainability setting), each from
the previous request's model (`meow.unlearn.sequence`), so the report draws each metric against the request index.

    RUN/requests/request_k.json   the demo's forget split cut into K disjoint chunks of authors
                                  (meow.benchmark.requests.author_requests)
    RUN/sequences/<method>/       a sequence folder (sequence.json, step_k/{model, eval, requests.json})

Optional: K more unlearning runs and evaluations per method.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from meow.demo.runner import Runner, Stage, key


def request_files(run: Path, cfg: Any) -> list[str]:
    """Write RUN/requests/request_1..K.json from the demo's forget split (whole authors, or with a known-facts
    benchmark in RUN/data whole entities); returns their paths."""
    from meow.benchmark.requests import by_author, chunks
    from meow.data import load_records
    from meow.io import write_jsonl

    if getattr(cfg, "forget_entities", None):  # the known-facts demo (meow.benchmark.known_facts.requests)
        from meow.benchmark.known_facts.requests import entity_requests

        parts, _ = entity_requests(load_records(run / "data" / "forget.json"), cfg.requests)
    else:
        chunked = chunks(by_author(load_records(run / "data" / f"{cfg.forget_split}.json")), cfg.requests, "authors")
        parts = [[r for group in part for r in group] for part in chunked]
    files = []
    for k, part in enumerate(parts, 1):
        files.append(str(run / "requests" / f"request_{k}.json"))
        write_jsonl(files[-1], part)
    return files


def sequence_stages(runner: Runner, cfg: Any, run: Path, retain_split: str, eval_cfg: Any,
                    method_overrides: Callable[[str], dict[str, Any]], forget_split: str | None = None,
                    target: str | None = None, retain_eval: Path | None = None, benchmark_stage: str = "benchmark"
                    ) -> None:
    """A `requests` stage, then one `sequence <method>` stage per method, from `target` (default RUN/models/target)
    against `retain_eval` (None: the benchmark has no retain model, e.g. known facts)."""
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    forget_split = forget_split or cfg.forget_split
    k_req = runner(Stage("requests", key(runner.stage_key(benchmark_stage), forget_split, cfg.requests),
                         [run / "requests" / f"request_{cfg.requests}.json"], lambda: request_files(run, cfg)))
    files = [str(run / "requests" / f"request_{k}.json") for k in range(1, cfg.requests + 1)]
    base = [k_req, *(runner.stage_key(s) for s in ("eval retain", "train target (full)") if s in runner.manifest["stages"])]
    extra = {"retain_eval": str(retain_eval)} if retain_eval is not None else {}
    for method in cfg.methods:
        ucfg, mcfg = resolve_configs(None, {**method_overrides(method), **extra,
                                            "eval_max_new_tokens": cfg.eval_max_new_tokens})
        folder = run / "sequences" / method
        runner(Stage(f"sequence {method}", key(base, ucfg, mcfg, eval_cfg, cfg.n_inverted), [folder / "sequence.json"],
                     lambda ucfg=ucfg, mcfg=mcfg, folder=folder: run_sequence(
                         target or str(run / "models" / "target"), files, folder, ucfg, mcfg,
                         retain=str(run / "data" / f"{retain_split}.json"), data=run / "data",
                         holdout_split=forget_split, eval_cfg=eval_cfg, invert_n=cfg.n_inverted)))  # resumes by step
