"""`meow demo`: the whole toolkit on the built-in benchmark (fictitious authors), offline, in a few minutes on a
laptop CPU.

benchmark -> train target (full) and retain (retainYY) -> evaluate both -> invert forget facts (rules) -> MEMO
-> unlearn with MEOW and the baselines -> evaluate each against the retain model (+ MEMO after, attacks) -> report.

Every step is a stage of `meow.demo.runner.Runner` (keyed, reused when done, resumed after an interruption);
`meow.demo.extra` adds pre-training, repeated seeds and sweeps.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.demo.extra import pretrain_stage, seeds_and_sweeps
from meow.demo.runner import (
    Runner,
    Stage,
    is_run_folder,
    key,
    print_timings,
    report,
    start_run,
)
from meow.errors import MeowError

DEFAULT_METHODS = ["meow", "meow_gd", "ga", "gd", "idk", "npo", "npo_gd", "simnpo"]
DEFAULT_ATTACKS = ["paraphrase", "prefix", "relearn"]
MEMO_BATCH = 256  # MEMO windows per generation step (greedy rows are independent: the batch changes no score)


@dataclass
class DemoConfig:
    """Defaults of `meow demo`, chosen so the whole run takes a few minutes on 2 CPU cores (see README)."""

    # data
    authors: int = field(default=40, metadata={"help": "fictitious authors in the benchmark", "ge": 1})
    qa_per_author: int = field(default=10, metadata={"help": "questions per author", "ge": 1, "le": 20})
    background: int = field(default=20, metadata={"help": "records in each background-knowledge set", "ge": 0})
    forget_split: str = field(default="forget10", metadata={"help": "forget split", "choices": ("forget01", "forget05", "forget10")})
    seed: int = field(default=0, metadata={"help": "seed of every stage", "ge": 0})
    # base models (tiny Llama from scratch)
    hidden_size: int = field(default=128, metadata={"help": "tiny model width (a multiple of 8: 4 heads of even size)", "ge": 8})
    layers: int = field(default=4, metadata={"help": "tiny model depth", "ge": 1})
    train_epochs: float = field(default=25.0, metadata={"help": "epochs to train target and retain models", "gt": 0})
    train_lr: float = field(default=3e-3, metadata={"help": "learning rate for the base models", "gt": 0})
    # pre-training (meow.demo.extra.pretrain_stage): a base model that knows much more than the benchmark
    pretrain_authors: int = field(default=0, metadata={
        "help": "pre-train the base model on this many other generated authors (every attribute) before the "
        "TOFU-style fine-tuning (0: no pre-training, target and retain train from scratch)", "ge": 0})
    pretrain_background: int = field(default=200, metadata={
        "help": "pre-training: other famous-author facts and world facts (each)", "ge": 0})
    pretrain_epochs: float = field(default=8.0, metadata={"help": "pre-training epochs", "gt": 0})
    # MEOW
    n_inverted: int = field(default=4, metadata={"help": "inverted facts per forget question", "ge": 1})
    memo_max_new_tokens: int = field(default=48, metadata={"help": "MEMO generation length (answers are short)", "ge": 1})
    # unlearning (shared by all methods; per-method settings live in the method defaults)
    methods: list[str] = field(default_factory=lambda: list(DEFAULT_METHODS),
                               metadata={"help": "unlearning methods to run"})
    unlearn_epochs: float = field(default=15.0, metadata={"help": "unlearning epochs", "gt": 0})
    unlearn_lr: float = field(default=1e-3, metadata={"help": "unlearning learning rate", "gt": 0})
    unlearn_batch_size: int = field(default=8, metadata={"help": "forget rows per step", "ge": 1})
    retain_weight: float = field(default=1.0, metadata={"help": "weight of the retain NLL in every method that has one", "ge": 0})
    select: str = field(default="smallest", metadata={"help": "MEOW selection", "choices": ("smallest", "largest", "random")})
    top_k: int = field(default=3, metadata={"help": "MEOW: inverted facts per question", "ge": 1})
    # evaluation
    eval_max_new_tokens: int = field(default=48, metadata={"help": "generation length in evaluation", "ge": 1})
    nlg_prefix_tokens: int = field(default=12, metadata={"help": "NLG: tokens given before the continuation (0: skip)", "ge": 0})
    threads: int = field(default=2, metadata={"help": "torch CPU threads (0: torch's default, the core count). Fixed "
                                                      "at 2 by default, the same on every machine with 2 or more "
                                                      "cores: the sum order, and so the last digits, can depend on it; "
                                                      "recorded in environment.json. 1 is faster on a busy machine",
                                                      "ge": 0})
    attacks: list[str] = field(default_factory=lambda: list(DEFAULT_ATTACKS),
                               metadata={"help": "attacks run on each unlearned model (empty: none)"})
    relearn_steps: int = field(default=10, metadata={"help": "relearning attack: optimizer steps", "ge": 1})
    relearn_lr: float = field(default=1e-3, metadata={"help": "relearning attack: learning rate", "gt": 0})
    # spread and frontiers (meow.demo.extra)
    base_model: str = field(default="", metadata={"help": "a pretrained model folder (`meow demo --benchmark tofu "
                                                           "--model DIR`): target and retain are fine-tuned from it, "
                                                           "as TOFU does with Llama-2 (slow on CPU)"})
    seeds: int = field(default=1, metadata={"help": "unlearning + evaluation seeds per method (tables: mean and "
                                                    "min-max; seed `seed` is the main run)", "ge": 1})
    sweep: bool = field(default=False, metadata={"help": "also sweep every method over sweep_grid (frontier plot)"})
    sweep_grid: str = field(default="epochs=5,10,20", metadata={
        "help": "the demo sweep's grid: KEY=V1,V2 axes separated by ';' (any `meow unlearn` option)"})
    requests: int = field(default=0, metadata={"help": "also unlearn every method over this many sequential requests "
                                                       "(forget_split's authors in disjoint chunks; 0: none; "
                                                       "meow.demo.sequences: the sustainability plot)", "ge": 0})
    scaling: bool = field(default=False, metadata={"help": "also unlearn every method at each TOFU forget size up to "
                                                           "forget_split (meow.demo.scaling: the scalability plot)"})

    def validate(self) -> None:
        """Across fields and registries (meow.config calls it after the ranges), before anything is written."""
        from meow.evaluate.attacks import ATTACKS

        if self.requests:  # meow.demo.sequences: checked before anything is trained
            from meow.benchmark import forget_sizes
            from meow.benchmark.requests import chunks

            if self.requests < 2:
                raise MeowError(f"--requests {self.requests}: a sequence needs at least 2 requests (0: none)")
            authors = forget_sizes(self.authors).get(int(self.forget_split.removeprefix("forget")), 0)
            chunks(list(range(authors)), self.requests, f"authors in {self.forget_split}")
        if self.hidden_size % 8:  # the demo's tiny models have 4 heads of an even size
            raise MeowError(f"--hidden-size {self.hidden_size}: must be a multiple of 8 (4 heads of even size)")
        unknown = [m for m in self.methods if m not in _method_names()]
        if unknown:
            raise MeowError(f"--methods: unknown method(s) {', '.join(unknown)}; choose from "
                            f"{', '.join(_method_names())}")
        bad = [a for a in self.attacks if a not in ATTACKS.names()]
        if bad:
            raise MeowError(f"--attacks: unknown attack(s) {', '.join(bad)}; choose from {', '.join(ATTACKS.names())}")


def run_demo(out: str | Path, cfg: DemoConfig, force: bool = False, console: Any = None) -> dict[str, Any]:
    """Run (or resume) the demo into `out`; returns {"timings": ..., "run": ...}.

    The output policy (meow.io.prepare_output): a run folder made by `meow demo` is resumed; a file, or a
    non-empty folder that is not a run folder, is refused unless `force`. The folder is locked while the demo
    runs (meow.io.run_lock): a second process on it stops at once."""
    from meow.io import LOCK_FILE, prepare_output, run_lock

    run = Path(out)
    just_locked = run.is_dir() and {p.name for p in run.iterdir()} == {LOCK_FILE}  # another demo starting here
    prepare_output(run, kind="dir", force=force, replace_ok=is_run_folder(run) or just_locked)
    if (run / "manifest.json").exists() and not is_run_folder(run):  # only reached with --force: start over
        (run / "manifest.json").unlink()
    from meow.modeling.reuse import reuse

    with run_lock(run), reuse():  # a model asked the same thing by two stages computes it once
        return _run_demo(run, cfg, force, console)


def _run_demo(out: str | Path, cfg: DemoConfig, force: bool = False, console: Any = None) -> dict[str, Any]:

    from meow.benchmark import make_benchmark
    from meow.evaluate import EvalConfig, evaluate, load_eval, load_splits
    from meow.invert import invert_file
    from meow.memo import MemoConfig, run_memo, score_records
    from meow.modeling import load_lm
    from meow.modeling.finetune import TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.modeling.train import train
    from meow.progress import verbose
    from meow.unlearn import resolve_configs, unlearn

    run, runner, console = start_run(out, cfg, force, console)
    pct = cfg.forget_split.removeprefix("forget")
    retain_split = f"retain{100 - int(pct):02d}"
    data, models, evals = run / "data", run / "models", run / "evals"
    eval_cfg = EvalConfig(max_new_tokens=cfg.eval_max_new_tokens)

    k_data = runner(Stage("benchmark", key("benchmark", cfg.authors, cfg.qa_per_author, cfg.seed, cfg.background),
                          [data / "benchmark.json"],
                          lambda: make_benchmark(data, cfg.authors, cfg.qa_per_author, cfg.seed, cfg.background,
                                                 force=True)))
    tiny = TinyConfig(hidden_size=cfg.hidden_size, layers=cfg.layers, intermediate_size=4 * cfg.hidden_size)
    train_cfg = TrainConfig(epochs=cfg.train_epochs, lr=cfg.train_lr, batch_size=16, weight_decay=0.0, seed=cfg.seed)

    k_pre = pretrain_stage(runner, cfg, run, k_data, tiny, train_cfg) if cfg.pretrain_authors else None

    if cfg.base_model:  # known-facts owns the real-model estimate (meow.demo.known_facts)
        from meow.demo.known_facts import print_finetune_estimate

        print_finetune_estimate(console, cfg, data, retain_split)

    def train_stage(name: str, split: str) -> str:
        if cfg.base_model:
            return runner(Stage(f"train {name} ({split})", key(k_data, cfg.base_model, split, train_cfg),
                                [models / name], lambda: train(str(data), split, str(models / name),
                                                               model=cfg.base_model, cfg=train_cfg, force=True)))
        if k_pre is not None:  # fine-tune the pre-trained model (its tokenizer covers the benchmark too)
            return runner(Stage(f"train {name} ({split})", key(k_pre, split, train_cfg), [models / name],
                                lambda: train(str(data), split, str(models / name), model=str(models / "pretrained"),
                                              cfg=train_cfg, force=True)))
        return runner(Stage(f"train {name} ({split})", key(k_data, split, tiny, train_cfg), [models / name],
                            lambda: train(str(data), split, str(models / name), init="tiny", cfg=train_cfg,
                                          tiny=tiny, force=True)))

    k_target = train_stage("target", "full")
    k_retain = train_stage("retain", retain_split)
    splits, sources, absent = load_splits(data, cfg.forget_split)

    def eval_stage(name: str, model_key: str, retain: bool = True) -> str:
        def go() -> None:
            lm = load_lm(models / name)
            result = evaluate(lm, splits, load_eval(evals / "retain") if retain else None, cfg=eval_cfg,
                              sources=sources, missing_splits=absent)
            result.save(evals / name, {"model": str(models / name), "data": str(data), "options": vars(eval_cfg)})
        return runner(Stage(f"eval {name}", key(model_key, k_eval_retain if retain else None, eval_cfg),
                            [evals / name / "summary.json"], go))

    k_eval_retain = eval_stage("retain", k_retain, retain=False)
    eval_stage("target", k_target)

    inverted = run / "inverted" / "forget.json"
    k_inv = runner(Stage("invert (rules)", key(k_data, cfg.n_inverted, cfg.seed), [inverted],
                         lambda: invert_file(data / f"{cfg.forget_split}.json", inverted, "rules", n=cfg.n_inverted,
                                             seed=cfg.seed, force=True)))
    memo_file = run / "memo" / "forget.json"
    memo_cfg = MemoConfig(max_new_tokens=cfg.memo_max_new_tokens, batch_size=MEMO_BATCH)
    k_memo = runner(Stage("memo (target)", key(k_inv, k_target, memo_cfg), [memo_file],
                          lambda: run_memo(str(models / "target"), str(inverted), str(memo_file), cfg=memo_cfg,
                                           force=True)))

    for method in cfg.methods:
        ucfg, mcfg = resolve_configs(None, method_overrides(cfg, method))
        k_un = runner(Stage(f"unlearn {method}", key(k_memo, k_target, dataclasses.asdict(ucfg),
                                                     dataclasses.asdict(mcfg)), [models / method],
                            lambda ucfg=ucfg, mcfg=mcfg, method=method: unlearn(
                                str(models / "target"), str(memo_file), str(models / method), ucfg, mcfg,
                                retain=str(data / f"{retain_split}.json"), force=True,
                                console=console if verbose() else None)))
        eval_stage(method, k_un)

        def memo_after(method: str = method) -> None:
            from meow.data import load_records
            from meow.io import write_records

            lm = load_lm(models / method)
            write_records(evals / method / "memo.json",
                          score_records(lm, load_records(memo_file), max_new_tokens=cfg.memo_max_new_tokens,
                                        batch_size=MEMO_BATCH))
        runner(Stage(f"memo {method}", key(k_un, k_memo, memo_cfg), [evals / method / "memo.json"], memo_after))

    seeds_and_sweeps(runner, cfg, run, cfg.forget_split, retain_split, eval_cfg, lambda method: method_overrides(cfg, method))
    if cfg.requests:
        from meow.demo.sequences import sequence_stages

        sequence_stages(runner, cfg, run, retain_split, eval_cfg, lambda method: method_overrides(cfg, method))
    if cfg.scaling:
        from meow.demo.scaling import scaling_stages

        scaling_stages(runner, cfg, run, retain_split, eval_cfg, lambda method: method_overrides(cfg, method))
    _attacks(runner, cfg, run, splits)
    _nlg(runner, cfg, run, splits)
    console.rule("[bold]report")
    start = time.time()
    table = report(run, console)
    runner.timings.append(("report", round(time.time() - start, 1), False))
    print_timings(console, runner.timings, run)
    console.print(f"report: {table.get('html', run / 'report' / 'report.html')}")
    return {"timings": runner.timings, "run": str(run)}


def method_overrides(cfg: DemoConfig, method: str) -> dict[str, Any]:
    """The `meow unlearn` options of one demo method: the shared budget, MEOW's selection, the retain weight."""
    from meow.unlearn import METHODS

    overrides = {"method": method, "epochs": cfg.unlearn_epochs, "lr": cfg.unlearn_lr,
                 "batch_size": cfg.unlearn_batch_size, "grad_accum": 1, "seed": cfg.seed,
                 "memo_max_new_tokens": cfg.memo_max_new_tokens}
    if method.startswith("meow"):
        overrides |= {"select": cfg.select, "top_k": cfg.top_k}
    if "retain_weight" in {f.name for f in dataclasses.fields(METHODS.get(method))}:
        overrides["retain_weight"] = cfg.retain_weight
    if method == "rmu" and not cfg.base_model:  # WMDP's layer 7 (of 32) and down_proj of layers 5-7, scaled to the tiny model's depth
        layer = max(1, cfg.layers // 2)
        overrides |= {"layer": rf"model\.layers\.{layer}",
                      "trainable": [rf"model\.layers\.({'|'.join(str(i) for i in range(max(0, layer - 2), layer + 1))})"
                                    r"\.mlp\.down_proj\.weight"]}
    return overrides


def _attacks(runner: Runner, cfg: DemoConfig, run: Path, splits: dict[str, list[dict]]) -> None:
    """Attack every unlearned model with each configured attack; relearning also attacks the retain model."""
    if not cfg.attacks:
        return
    from meow.evaluate.attacks import run_attack, write_attack
    from meow.modeling import load_lm

    options = {"relearn": {"steps": cfg.relearn_steps, "lr": cfg.relearn_lr, "train_batch_size": 4}}
    for method in cfg.methods:
        for attack in cfg.attacks:
            out = run / "attacks" / method / attack
            opts = {"max_new_tokens": cfg.eval_max_new_tokens, "seed": cfg.seed, **options.get(attack, {})}

            def go(method: str = method, attack: str = attack, out: Path = out, opts: dict = opts) -> None:
                retain_lm = load_lm(run / "models" / "retain") if attack == "relearn" else None
                result = run_attack(attack, load_lm(run / "models" / method), splits["forget"], retain_lm=retain_lm,
                                    retain_eval=run / "evals" / "retain", progress=False, **opts)
                write_attack(out, result, {"attack": attack, "model": str(run / "models" / method), **opts})
            model_key = runner.stage_key(f"unlearn {method}")
            runner(Stage(f"attack {attack} {method}", key(model_key, attack, opts), [out / "summary.json"], go))


def _nlg(runner: Runner, cfg: DemoConfig, run: Path, splits: dict[str, list[dict]]) -> None:
    """NLG on background-knowledge text every model should keep: BLEU and Rep-3 of continuations (MAUVE needs a
    featurizer model, so it is left to `meow eval-nlg --mauve-featurizer`)."""
    if cfg.nlg_prefix_tokens <= 0:
        return
    from meow.evaluate.nlg import NLGConfig, run_nlg, write_nlg
    from meow.modeling import load_lm

    texts = [f"Question: {r['question']}\nAnswer: {r['answer']}"
             for split in ("real_authors", "world_facts", "retain") for r in splits.get(split, [])]
    nlg_cfg = NLGConfig(prefix_tokens=cfg.nlg_prefix_tokens, max_new_tokens=24)
    for name in ["target", "retain", *cfg.methods]:
        out = run / "nlg" / name
        stage = "unlearn " + name if name in cfg.methods else next(k for k in runner.manifest["stages"]
                                                                     if k.startswith(f"train {name}"))

        def go(name: str = name, out: Path = out) -> None:
            result = run_nlg(load_lm(run / "models" / name), texts, nlg_cfg, source="background + retain QA",
                             progress=False)
            write_nlg(out, result, {"model": str(run / "models" / name), "options": dataclasses.asdict(nlg_cfg)})
        runner(Stage(f"nlg {name}", key(runner.stage_key(stage), nlg_cfg, len(texts)),
                     [out / "nlg.json"], go))


def _method_names() -> list[str]:
    from meow.unlearn import METHODS

    return METHODS.names()


CONFIG, run = DemoConfig, run_demo  # what `meow demo --benchmark tofu` runs (meow.benchmark.tofu names this module)
