"""`meow demo --benchmark muse`: the text pipeline end to end on the MUSE-format mini benchmark.

benchmark (invented news articles, MUSE layout) -> train a tiny target on forget + retain1 + retain2 and a retain
model on retain1 + retain2 (passages, loss on every token) -> eval-muse both -> invert the forget articles
(rules) -> MEMO over the passages under the target -> unlearn (meow, ga, gd, npo, simnpo) -> eval-muse each
-> report. The same stage runner as the TOFU demo (`meow.demo.runner.Runner`): finished stages are reused.

The tokenizer is trained on every text of the benchmark, holdout included (MUSE's fixed Llama-2 tokenizer knows
them all), so that PrivLeak compares forget and holdout texts tokenised alike. A tiny model trained from scratch on
articles cannot answer questions about them, so KnowMem stays near 0 here (MUSE's pre-trained Llama-2 targets can);
VerbMem and PrivLeak are the numbers this demo moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.demo.runner import Stage, key, print_timings, report, start_run
from meow.errors import MeowError

MUSE_METHODS = ["meow", "ga", "gd", "npo", "simnpo"]


@dataclass
class MuseDemoConfig:
    """Defaults of `meow demo --benchmark muse` (a few minutes on 2 CPU cores)."""

    articles: int = field(default=8, metadata={"help": "articles per raw split", "ge": 1})
    qa_per_article: int = field(default=3, metadata={"help": "KnowMem questions per article", "ge": 1, "le": 8})
    seed: int = field(default=0, metadata={"help": "seed of every stage", "ge": 0})
    hidden_size: int = field(default=128, metadata={"help": "tiny model width", "ge": 8})
    layers: int = field(default=4, metadata={"help": "tiny model depth", "ge": 1})
    train_epochs: float = field(default=30.0, metadata={"help": "epochs to train target and retain", "gt": 0})
    train_lr: float = field(default=3e-3, metadata={"help": "learning rate for the base models", "gt": 0})
    n_inverted: int = field(default=4, metadata={"help": "inverted passages per forget article", "ge": 1})
    memo_stride: int = field(default=60, metadata={"help": "MEMO window step over a passage (characters)", "ge": 1})
    memo_max_new_tokens: int = field(default=32, metadata={"help": "MEMO generation length", "ge": 1})
    methods: list[str] = field(default_factory=lambda: list(MUSE_METHODS), metadata={"help": "unlearning methods"})
    unlearn_epochs: float = field(default=8.0, metadata={"help": "unlearning epochs", "gt": 0})
    unlearn_lr: float = field(default=1e-3, metadata={"help": "unlearning learning rate", "gt": 0})
    unlearn_batch_size: int = field(default=8, metadata={"help": "forget rows per step", "ge": 1})
    max_length: int = field(default=96, metadata={"help": "passage chunk length in tokens", "ge": 8})
    retain_weight: float = field(default=1.0, metadata={"help": "weight of the retain NLL (gd, npo_gd ...)", "ge": 0})
    top_k: int = field(default=2, metadata={"help": "MEOW: inverted passages per article", "ge": 1})
    select: str = field(default="smallest", metadata={"help": "MEOW selection", "choices": (
        "smallest", "largest", "random")})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)", "ge": 0})

    def validate(self) -> None:
        """Beyond the declared ranges: every method is registered and can unlearn a text corpus (no IDK answers)."""
        from meow.unlearn import METHODS

        text = [m for m in METHODS.names() if getattr(METHODS.get(m), "alt", None) != "idk"]
        bad = [m for m in self.methods if m not in text]
        if bad:
            raise MeowError(f"--methods: {', '.join(bad)} cannot unlearn a text corpus; choose from {', '.join(text)}")


def _corpus(data: Path, splits: tuple[str, ...]) -> list[str]:
    return [t for s in splits for t in json.loads((data / "raw" / f"{s}.json").read_text(encoding="utf-8"))]


def run_muse_demo(out: str | Path, cfg: MuseDemoConfig, force: bool = False, console: Any = None) -> dict[str, Any]:
    """Run (or resume) the MUSE demo into `out`; returns {"timings", "summaries"}."""

    from meow.benchmark.muse import make_muse_benchmark
    from meow.evaluate.muse import MuseConfig
    from meow.evaluate.muse.evaluator import summarize_muse
    from meow.evaluate.muse.run import evaluate_muse_dirs
    from meow.invert import invert_file
    from meow.io import write_json
    from meow.memo import MemoConfig, run_memo
    from meow.modeling.finetune import TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.modeling.train import train
    from meow.unlearn import resolve_configs, unlearn

    run, runner, console = start_run(out, cfg, force, console)
    data, models, evals = run / "data", run / "models", run / "evals"

    def make_data() -> None:
        make_muse_benchmark(data, cfg.articles, cfg.qa_per_article, cfg.seed, force=True)
        texts = data / "text"  # `meow train` builds the tokenizer from every file in this folder
        write_json(texts / "target.json", _corpus(data, ("forget", "retain1", "retain2")))
        write_json(texts / "retain.json", _corpus(data, ("retain1", "retain2")))
        write_json(texts / "holdout.json", _corpus(data, ("holdout",)))  # for the tokenizer only

    k_data = runner(Stage("benchmark", key("muse", 3, cfg.articles, cfg.qa_per_article, cfg.seed),
                          [data / "benchmark.json", data / "text" / "target.json"], make_data))
    tiny = TinyConfig(hidden_size=cfg.hidden_size, layers=cfg.layers, intermediate_size=4 * cfg.hidden_size)
    train_cfg = TrainConfig(epochs=cfg.train_epochs, lr=cfg.train_lr, batch_size=4, weight_decay=0.0, seed=cfg.seed,
                            max_length=256)
    k_target = runner(Stage("train target (forget + retain)", key(k_data, tiny, train_cfg), [models / "target"],
                            lambda: train(str(data / "text"), "target", str(models / "target"), init="tiny",
                                          cfg=train_cfg, tiny=tiny, force=True)))
    k_retain = runner(Stage("train retain (retain only)", key(k_target, "retain"), [models / "retain"],
                            lambda: train(str(data / "text"), "retain", str(models / "retain"), init="tiny",
                                          cfg=train_cfg, tiny=tiny, tokenizer_from=str(models / "target"),
                                          force=True)))
    mcfg = MuseConfig()
    summaries: dict[str, Any] = {}

    def eval_stage(name: str, model_key: str) -> None:
        def go() -> None:
            summaries[name] = evaluate_muse_dirs(str(models / name), str(data), str(evals / name), mcfg,
                                                 retain_eval=None if name == "retain" else str(evals / "retain"),
                                                 force=True)
            if name == "retain":  # the reference row against itself: PrivLeak 0 by definition, not against 0.5
                ev = json.loads((evals / name / "eval.json").read_text(encoding="utf-8"))
                write_json(evals / name / "summary.json", summarize_muse(ev, ev))
        extra = "self-reference" if name == "retain" else None
        runner(Stage(f"eval {name}", key(model_key, k_retain, mcfg, extra), [evals / name / "summary.json"], go))

    eval_stage("retain", k_retain)
    eval_stage("target", k_target)
    inverted, memo = run / "inverted" / "forget.json", run / "memo" / "forget.json"
    k_inv = runner(Stage("invert forget articles (rules)", key(k_data, cfg.n_inverted), [inverted],
                         lambda: invert_file(data / "raw" / "forget.json", inverted, "rules", n=cfg.n_inverted,
                                             seed=cfg.seed, progress=False)))
    memo_cfg = MemoConfig(stride=cfg.memo_stride, max_new_tokens=cfg.memo_max_new_tokens)
    k_memo = runner(Stage("memo (target, passages)", key(k_inv, k_target, memo_cfg), [memo],
                          lambda: run_memo(str(models / "target"), str(inverted), str(memo), cfg=memo_cfg)))
    for method in cfg.methods:
        opts: dict[str, Any] = {"method": method, "epochs": cfg.unlearn_epochs, "lr": cfg.unlearn_lr,
                                "batch_size": cfg.unlearn_batch_size, "grad_accum": 1, "warmup_epochs": 0.0,
                                "max_length": cfg.max_length, "seed": cfg.seed, "top_k": cfg.top_k,
                                "select": cfg.select, "memo_stride": cfg.memo_stride,
                                "memo_max_new_tokens": cfg.memo_max_new_tokens}
        from meow.unlearn.config import method_keys

        if "retain_weight" in method_keys(method):
            opts["retain_weight"] = cfg.retain_weight
        ucfg, m = resolve_configs(None, opts)
        forget = memo if m.alt == "inverted" else data / "raw" / "forget.json"

        def go(ucfg: Any = ucfg, m: Any = m, forget: Path = forget, method: str = method) -> None:
            unlearn(str(models / "target"), str(forget), str(models / method), ucfg, m,
                    retain=str(data / "raw" / "retain1.json"), force=True)
        k = runner(Stage(f"unlearn {method}", key(k_target, k_memo, opts), [models / method / "meow.json"], go))
        eval_stage(method, k)
    runner.note(methods=list(cfg.methods), benchmark="muse")
    report(run, console)
    print_timings(console, runner.timings, run)
    return {"timings": runner.timings, "summaries": summaries}


CONFIG, run = MuseDemoConfig, run_muse_demo  # what `meow demo --benchmark muse` runs (meow.benchmark.muse.benchmark)
