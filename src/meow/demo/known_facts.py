"""`meow demo --benchmark known-facts --model DIR`: unlearning what a real pretrained model knows, on the known-facts benchmark.

benchmark (probe the bank on the model, keep what it answers right, whole entities into forget / neighbour /
general / retain) -> eval the model before unlearning -> invert the forget facts with the rules backend and with
the model itself (`hf`, validated as every inverted answer) -> MEMO of every candidate under the model -> unlearn
(meow, meow_gd, gd, npo_gd, simnpo, rmu; LoRA unless --lora-r 0) -> eval each (MIA reference: the model before
unlearning) -> attacks (paraphrase, relearn) -> report. The stage runner of the TOFU demo: finished stages are
reused, a changed option re-runs what depends on it.

No retain model exists for knowledge from pre-training: the model before unlearning (row `target`) is the
reference; forget quality and PrivLeak against a retain model are not available, and the report says so.

Before any stage runs the demo times one greedy batch on this machine and prints an estimate of the whole run
(`estimate`); `--budget-minutes` only warns.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError

KF_METHODS = ["meow", "meow_gd", "gd", "npo_gd", "simnpo", "rmu"]
KF_ATTACKS = ["paraphrase", "relearn"]
MEMO_WINDOWS = 8  # MEMO suffix windows per short answer (stride 5 characters; ~8.5 measured on the bank's answers)
GET_HINT = "run `meow model get smollm2-135m-instruct --out DIR` first, then `meow demo --model DIR`"


@dataclass
class KnownFactsDemoConfig:
    """Defaults of `meow demo --model DIR` (sized for SmolLM2-135M on 2 CPU cores; see `estimate`)."""

    model: str = field(default="", metadata={"help": "the pretrained model (a folder)"})
    bank: str = field(default="", metadata={"help": "a question bank folder (<kind>.json files in the built-in "
                                                     "bank's format; default: the built-in bank)"})
    forget_entities: int = field(default=2, metadata={"help": "whole entities to forget", "ge": 1})
    neighbours: int = field(default=2, metadata={"help": "neighbour entities per forget target", "ge": 1})
    seed: int = field(default=0, metadata={"help": "seed of every stage", "ge": 0})
    probe_tokens: int = field(default=24, metadata={"help": "answer length when probing the bank", "ge": 1})
    eval_limit: int = field(default=40, metadata={"help": "questions per evaluated split (0: all)", "ge": 0})
    eval_max_new_tokens: int = field(default=24, metadata={"help": "answer length in evaluation", "ge": 1})
    n_inverted: int = field(default=4, metadata={"help": "inverted facts per forget question and backend", "ge": 1})
    hf_invert: bool = field(default=True, metadata={"help": "also invert with the model itself (hf backend)"})
    hf_max_new_tokens: int = field(default=96, metadata={"help": "hf inverter reply length", "ge": 1})
    memo_max_new_tokens: int = field(default=24, metadata={"help": "MEMO generation length", "ge": 1})
    methods: list[str] = field(default_factory=lambda: list(KF_METHODS), metadata={"help": "unlearning methods"})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank (0: full fine-tuning; rmu always trains its "
                                                     "down_proj matrices only)", "ge": 0})
    unlearn_epochs: float = field(default=4.0, metadata={"help": "unlearning epochs", "gt": 0})
    unlearn_lr: float = field(default=1e-3, metadata={"help": "unlearning learning rate (LoRA; the sweep in the README "
                                                            "shows the range)", "gt": 0})
    unlearn_batch_size: int = field(default=4, metadata={"help": "forget rows per step", "ge": 1})
    retain_weight: float = field(default=1.0, metadata={"help": "retain-loss weight where a method has one", "ge": 0})
    select: str = field(default="smallest", metadata={"help": "MEOW selection", "choices": ("smallest", "largest",
                                                                                            "random")})
    top_k: int = field(default=3, metadata={"help": "MEOW: inverted facts per question", "ge": 1})
    attacks: list[str] = field(default_factory=lambda: list(KF_ATTACKS), metadata={"help": "attacks (empty: none)"})
    relearn_steps: int = field(default=4, metadata={"help": "relearning attack: optimizer steps", "ge": 1})
    relearn_lr: float = field(default=1e-4, metadata={"help": "relearning attack: learning rate", "gt": 0})
    seeds: int = field(default=1, metadata={"help": "unlearning + evaluation seeds per method (tables: mean and "
                                                    "min-max; seed `seed` is the main run)", "ge": 1})
    sweep: bool = field(default=False, metadata={"help": "also sweep every method over sweep_grid (frontier plot: "
                                                        "forget vs neighbour key-fact accuracy)"})
    sweep_grid: str = field(default="lr=3e-4,1e-3,3e-3", metadata={
        "help": "the demo sweep's grid: KEY=V1,V2 axes separated by ';' (any `meow unlearn` option)"})
    threads: int = field(default=2, metadata={"help": "torch CPU threads (0: torch's default)", "ge": 0})
    budget_minutes: float = field(default=30.0, metadata={"help": "warn when the estimate exceeds this", "gt": 0})

    def validate(self) -> None:
        from meow.evaluate.attacks import ATTACKS
        from meow.unlearn import METHODS

        check_model_argument(self.model)
        if not (Path(self.model) / "config.json").is_file():
            raise MeowError(f"--model {self.model}: not a model folder (no config.json); {GET_HINT}")
        bad = [m for m in self.methods if m not in METHODS.names()] + [a for a in self.attacks
                                                                        if a not in ATTACKS.names()]
        if bad:
            raise MeowError(f"--methods / --attacks: unknown {', '.join(bad)}")
        if self.sweep:
            from meow.demo.extra import demo_grid

            demo_grid(self)  # a bad --sweep-grid stops here, before the model loads


def check_model_argument(model: str | None) -> str:
    """A model folder for --model; a bare name (e.g. smollm2-135m-instruct) that is not a folder gets the one line
    on how to fetch it."""
    if not model:
        raise MeowError(f"--model: give a model folder ({GET_HINT})")
    if not Path(model).is_dir():
        name = Path(model).name
        raise MeowError(f"--model {model}: no such folder; run `meow model get {name} --out DIR` first, then "
                        "`meow demo --model DIR`" if "/" not in model else f"--model {model}: folder not found")
    return model


def model_overrides(benchmark: str, model: str | None, overrides: dict[str, Any]) -> dict[str, Any]:
    """`meow demo --model DIR`: the known-facts demo on DIR; with `--benchmark tofu`, target and retain fine-tuned
    from DIR (TOFU's learning rate 1e-5 and 5 epochs unless given)."""
    if not model:
        return overrides
    if benchmark == "known-facts":
        return {**overrides, "model": check_model_argument(model)}
    if benchmark == "tofu":
        return {"train_lr": 1e-5, "train_epochs": 5.0, **overrides, "base_model": check_model_argument(model)}
    raise MeowError(f"--model with --benchmark {benchmark}: not supported (that demo trains its own tiny models)")


def method_overrides(cfg: KnownFactsDemoConfig, method: str) -> dict[str, Any]:
    """The `meow unlearn` options of one method: the shared budget, LoRA, MEOW's selection, the retain weight."""
    from meow.unlearn import METHODS

    out: dict[str, Any] = {"method": method, "epochs": cfg.unlearn_epochs, "lr": cfg.unlearn_lr,
                           "batch_size": cfg.unlearn_batch_size, "grad_accum": 1, "seed": cfg.seed,
                           "memo_max_new_tokens": cfg.memo_max_new_tokens, "lora_r": cfg.lora_r,
                           "warmup_epochs": 0.0}
    if method.startswith("meow"):
        out |= {"select": cfg.select, "top_k": cfg.top_k}
    if "retain_weight" in {f.name for f in dataclasses.fields(METHODS.get(method))}:
        out["retain_weight"] = cfg.retain_weight
    if method == "rmu":  # RMU trains a few down_proj matrices itself (WMDP's layers 5-7): no adapter
        out["lora_r"] = 0
    return out


def estimate(cfg: KnownFactsDemoConfig, seconds_per_token: float, n_bank: int, n_forget: int = 16,
             n_eval: int = 100) -> dict[str, float]:
    """Seconds per stage kind from the measured cost of one generated token per prompt (`seconds_per_token`, in
    a batch). Ratios taken on SmolLM2-135M on 2 cores (issue 17): a training step at 8 x 64 tokens costs about
    as much as generating 32 tokens for 16 prompts (3.8 s vs 3.6 s), i.e. 512 prompt-tokens; LoRA about 0.7 of
    that; scoring a batch forward-only about a third of a step. With the issue's idle 2-core speed (7 ms per
    prompt-token) the defaults come to about 17 minutes. `n_forget`, `n_eval`: guessed forget questions and
    evaluated questions per model (the probe decides; the estimate is redrawn with the real ones)."""
    t = seconds_per_token
    step = 512 * t * (0.7 if cfg.lora_r else 1.0) * cfg.unlearn_batch_size / 8
    gen_eval = (n_eval + 2 * n_forget) * cfg.eval_max_new_tokens * t
    score_eval = n_eval * step / 3  # ~8 continuations per question (answer, paraphrase, perturbed): n_eval batches
    per_model = gen_eval + score_eval
    n_inv = n_forget * cfg.n_inverted * (2 if cfg.hf_invert else 1)
    rows = sum(n_forget * (cfg.top_k if m.startswith("meow") else 1) for m in cfg.methods)
    steps = rows / cfg.unlearn_batch_size * cfg.unlearn_epochs
    return {"benchmark": n_bank * cfg.probe_tokens * t,
            "invert": (n_forget * 2 * cfg.hf_max_new_tokens * t) if cfg.hf_invert else 0.0,
            "memo": (n_inv + n_forget) * MEMO_WINDOWS * cfg.memo_max_new_tokens * t,
            "unlearn": steps * step * 2,  # forget + retain batches
            "eval": (1 + len(cfg.methods)) * per_model,
            "attack": len(cfg.methods) * (len(cfg.attacks) * n_forget * cfg.eval_max_new_tokens * t * 2
                                          + ("relearn" in cfg.attacks) * cfg.relearn_steps * step)}


def time_one_batch(lm: Any) -> float:
    """Seconds per generated token per prompt: the best of two timings of a batch of 8 prompts x 16 tokens, after a
    warm-up of the same shape (the first calls of a shape pay one-time kernel and allocator costs; on a busy machine
    the best of two is the closer one to what the run will see over minutes)."""
    from meow.modeling import generate

    prompts = lm.prompts([f"Name a famous city, number {i}." for i in range(8)])
    generate(lm, prompts, max_new_tokens=4, batch_size=8)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        generate(lm, prompts, max_new_tokens=16, batch_size=8)
        best = min(best, time.perf_counter() - start)
    return best / (8 * 16)


def print_estimate(console: Any, parts: dict[str, float], budget_minutes: float) -> float:
    total = sum(parts.values())
    shown = ", ".join(f"{k} {v / 60:.1f}" for k, v in parts.items())
    console.print(f"[bold]estimate[/]: about {total / 60:.0f} min on this machine now ({shown} min)")
    if total > budget_minutes * 60:
        console.print(f"[yellow]over --budget-minutes {budget_minutes:g}: shrink --methods, --unlearn-epochs, "
                      "--eval-limit or --attacks for a shorter run[/]")
    return total


def print_finetune_estimate(console: Any, cfg: Any, data: Path, retain_split: str) -> float:
    """`meow demo --benchmark tofu --model DIR`: the estimated time of fine-tuning target and retain from the
    pretrained model (batch 16: twice the 512 prompt-tokens of `estimate`'s step per row pair), timed here."""
    import math

    from meow.data import load_records
    from meow.modeling import load_lm

    t = time_one_batch(load_lm(cfg.base_model))
    rows = len(load_records(data / "full.json")) + len(load_records(data / f"{retain_split}.json"))
    seconds = math.ceil(rows / 16) * cfg.train_epochs * 2 * 512 * t
    console.print(f"[bold]estimate[/]: fine-tuning target and retain from {cfg.base_model}: about "
                  f"{seconds / 60:.0f} min on this machine now ({rows} rows x {cfg.train_epochs:g} epochs); sized "
                  "for a GPU, the rest of the demo follows")
    return seconds


def merge_inverted(paths: list[Path], out: Path) -> None:
    """One file of forget records whose `inverted_answers` are every backend's, in order, without repeats."""
    from meow.data import load_records
    from meow.io import write_records

    files = [load_records(p) for p in paths if p.is_file()]
    merged = []
    for recs in zip(*files):
        answers = list(dict.fromkeys(a for r in recs for a in r.get("inverted_answers", [])))
        merged.append({**recs[0], "inverted_answers": answers, "invert": [r.get("invert") for r in recs]})
    write_records(out, merged)


def run_known_facts_demo(out: str | Path, cfg: KnownFactsDemoConfig, force: bool = False,
                         console: Any = None) -> dict[str, Any]:
    """Run (or resume) the known-facts demo into `out` (the output policy and lock of `meow demo`)."""
    from meow.demo.runner import is_run_folder
    from meow.io import prepare_output, run_lock

    cfg.validate()
    run = Path(out)
    prepare_output(run, kind="dir", force=force, replace_ok=is_run_folder(run), inputs=[cfg.model])
    with run_lock(run):
        return _run(run, cfg, force, console)


def _run(run: Path, cfg: KnownFactsDemoConfig, force: bool, console: Any) -> dict[str, Any]:

    from meow.benchmark.known_facts import make_known_facts
    from meow.demo.extra import seeds_and_sweeps
    from meow.demo.runner import Stage, key, print_timings, report, start_run
    from meow.evaluate import EvalConfig, evaluate, load_splits
    from meow.invert import invert_file
    from meow.memo import MemoConfig, run_memo
    from meow.modeling import load_lm
    from meow.unlearn import resolve_configs, unlearn

    run, runner, console = start_run(run, cfg, force, console)
    data, models, evals = run / "data", run / "models", run / "evals"
    target = load_lm(cfg.model)
    from meow.benchmark.known_facts.bank import load_bank

    per_token = time_one_batch(target)
    print_estimate(console, estimate(cfg, per_token, len(load_bank(cfg.bank or None))), cfg.budget_minutes)
    model_key = key(str(Path(cfg.model).resolve()), sorted((p.name, p.stat().st_size)
                                                          for p in Path(cfg.model).glob("*.safetensors")))
    k_data = runner(Stage("benchmark (probe the bank)", key(model_key, cfg.bank, cfg.forget_entities, cfg.neighbours,
                                                            cfg.seed, cfg.probe_tokens), [data / "benchmark.json"],
                          lambda: make_known_facts(data, target, cfg.forget_entities, cfg.neighbours, cfg.seed,
                                                   cfg.probe_tokens, bank=cfg.bank or None)))
    splits, sources, absent = load_splits(data, "forget")
    n_eval = sum(min(len(v), cfg.eval_limit or len(v)) for v in splits.values())
    print_estimate(console, estimate(cfg, per_token, 0, len(splits["forget"]), n_eval), cfg.budget_minutes)
    eval_cfg = EvalConfig(max_new_tokens=cfg.eval_max_new_tokens, limit=cfg.eval_limit or None, batch_size=16)

    def eval_stage(name: str, stage_key: str) -> str:
        def go() -> None:
            lm = target if name == "target" else load_lm(models / name)
            result = evaluate(lm, splits, cfg=eval_cfg, sources=sources, missing_splits=absent,
                              reference_lm=None if name == "target" else target, progress=False)
            result.save(evals / name, {"model": str(models / name) if name != "target" else cfg.model,
                                       "data": str(data), "options": vars(eval_cfg), "reference": cfg.model})
        return runner(Stage(f"eval {name}", key(stage_key, eval_cfg), [evals / name / "summary.json"], go))

    eval_stage("target", k_data)
    inv = run / "inverted"
    backends = ["rules", *(["hf"] if cfg.hf_invert else [])]
    opts = {"rules": {}, "hf": {"model": cfg.model, "max_new_tokens": cfg.hf_max_new_tokens, "batch_size": 16,
                                "prompt_format": target.fmt.to_dict()}}
    k_inv = [runner(Stage(f"invert ({b})", key(k_data, b, cfg.n_inverted, cfg.seed, opts[b]), [inv / f"{b}.json"],
                          lambda b=b: invert_file(data / "forget.json", inv / f"{b}.json", b, n=cfg.n_inverted,
                                                  seed=cfg.seed, progress=False, force=True, **opts[b])))
             for b in backends]
    inverted = inv / "forget.json"
    k_merge = runner(Stage("invert (merge)", key(*k_inv), [inverted],
                           lambda: merge_inverted([inv / f"{b}.json" for b in backends], inverted)))
    memo_file = run / "memo" / "forget.json"
    memo_cfg = MemoConfig(max_new_tokens=cfg.memo_max_new_tokens)
    k_memo = runner(Stage("memo (target)", key(k_merge, model_key, memo_cfg), [memo_file],
                          lambda: run_memo(cfg.model, str(inverted), str(memo_file), cfg=memo_cfg, force=True)))
    for method in cfg.methods:
        ucfg, mcfg = resolve_configs(None, method_overrides(cfg, method))
        k_un = runner(Stage(f"unlearn {method}", key(k_memo, dataclasses.asdict(ucfg), dataclasses.asdict(mcfg)),
                            [models / method],
                            lambda ucfg=ucfg, mcfg=mcfg, method=method: unlearn(
                                cfg.model, str(memo_file), str(models / method), ucfg, mcfg,
                                retain=str(data / "retain.json"), force=True)))
        eval_stage(method, k_un)
    _attacks(runner, cfg, run, splits["forget"], target)
    seeds_and_sweeps(runner, cfg, run, "forget", "retain", eval_cfg, lambda method: method_overrides(cfg, method),
                     target=cfg.model, retain_eval=None)
    console.rule("[bold]report")
    table = report(run, console)
    print_timings(console, runner.timings, run)
    console.print(f"report: {table.get('html', run / 'report' / 'report.html')}; reference: the model before "
                  "unlearning (row target; no retain model exists for pre-training knowledge)")
    return {"timings": runner.timings, "run": str(run), "table": table}


def _attacks(runner: Any, cfg: KnownFactsDemoConfig, run: Path, forget: list[dict], target: Any) -> None:
    """Each attack on every unlearned model, and the paraphrase attack on the model before unlearning."""
    from meow.demo.runner import Stage, key
    from meow.evaluate.attacks import run_attack, write_attack
    from meow.modeling import load_lm

    options = {"relearn": {"steps": cfg.relearn_steps, "lr": cfg.relearn_lr, "train_batch_size": 4}}
    jobs = [("target", "paraphrase")] if "paraphrase" in cfg.attacks else []
    jobs += [(m, a) for m in cfg.methods for a in cfg.attacks]
    for name, attack in jobs:
        out = run / "attacks" / name / attack
        opts = {"max_new_tokens": cfg.eval_max_new_tokens, "seed": cfg.seed, **options.get(attack, {})}

        def go(name: str = name, attack: str = attack, out: Path = out, opts: dict = opts) -> None:
            lm = target if name == "target" else load_lm(run / "models" / name)
            if attack == "relearn" and hasattr(lm.model, "merge_and_unload"):  # a LoRA folder loads frozen
                lm.model = lm.model.merge_and_unload().requires_grad_(True)
            result = run_attack(attack, lm, forget, progress=False, **opts)
            write_attack(out, result, {"attack": attack, "model": name, **opts})
        stage = runner.manifest["stages"].get(f"unlearn {name}" if name != "target" else "eval target", {})
        runner(Stage(f"attack {attack} {name}", key(stage.get("key"), attack, opts), [out / "summary.json"], go))


CONFIG, run = KnownFactsDemoConfig, run_known_facts_demo  # `meow demo --benchmark known-facts` (--model DIR)
