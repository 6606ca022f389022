"""`unlearn(...)`: load, (MEMO +) select, encode, cache reference log-probs, train, save. One function, in order.

Every process of a distributed run executes all of it (the pre-training steps are deterministic, so replicas
agree); only the main process writes files. Everything is written into the sibling `.OUT.partial` and moved to OUT
only when complete (an existing OUT, replaced with --force, stays as it was until then). Output folder OUT:

    config.json, model weights / adapter, tokenizer   the unlearned model (reloads with plain transformers)
    meow.json                                         prompt format + provenance (written last: marks a complete model)
    unlearn_config.yaml                               resolved options, reusable with --config
    unlearn_summary.json                              what happened: rows, steps, losses, times, best checkpoint
    train_log.jsonl                                   Trainer logs and evaluations, one JSON object a line
    selected.jsonl                                    MEOW: the inverted facts trained on, with their MEMO scores
    forget_memo.json                                  MEOW: the forget records with MEMO scores computed here
    best/                                             with --best-metric: the best model seen by the evaluation
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from meow.config import save_config
from meow.data import Record, load_records
from meow.distributed import engine
from meow.errors import Interrupted, MeowError
from meow.io import prepare_output, replace_dir, write_json, write_jsonl, write_records
from meow.modeling import LM, load_lm, save_lm
from meow.modeling.lm import META_FILE
from meow.unlearn.config import UnlearnConfig, best_direction, eval_interval, flat_dict
from meow.unlearn.methods import Context, Method
from meow.unlearn.select import missing_memo, needs_memo, select_inverted


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def ensure_memo(lm: LM, records: list[Record], cfg: UnlearnConfig, path: object) -> tuple[list[Record], int]:
    """Compute MEMO scores for records that lack them (with the model being unlearned); (records, computed)."""
    if not needs_memo(cfg.select):
        return records, 0
    from meow.data.text import is_text

    todo = missing_memo(records, path)
    if not todo:
        return records, 0
    if not cfg.auto_memo:
        raise MeowError(f"{path}: {len(todo)} record(s) have no MEMO scores (first: record {todo[0]}); "
                        f"run `meow memo` first, or drop --no-auto-memo to compute them here")
    from meow.memo import score_records

    mode = "prefix" if is_text(records) else "suffix"  # passages: MEMO over the passage itself
    scored = score_records(lm, [records[i] for i in todo], metric="memo", mode=mode, stride=cfg.memo_stride,
                           max_new_tokens=cfg.memo_max_new_tokens, progress=is_main_process(), source=path)
    out = list(records)
    for i, rec in zip(todo, scored):
        out[i] = rec
    return out, len(todo)


def make_reference(model: Any, device: Any) -> Callable[[dict[str, Any]], Any]:
    """Reference logits from the starting model: a frozen copy (on `device`), or LoRA with adapters disabled."""
    import torch
    from peft import PeftModel

    if isinstance(model, PeftModel):  # the base weights are the reference: no copy needed
        def ref_lora(group: dict[str, Any]) -> Any:
            with torch.no_grad(), model.disable_adapter():
                return model(input_ids=group["input_ids"], attention_mask=group["attention_mask"]).logits

        return ref_lora
    ref = copy.deepcopy(model).to(device).eval().requires_grad_(False)

    def ref_copy(group: dict[str, Any]) -> Any:
        ids = group["input_ids"]
        with torch.no_grad():
            logits = ref(input_ids=ids.to(device), attention_mask=group["attention_mask"].to(device)).logits
        return logits.to(ids.device)

    return ref_copy


def apply_lora(model: Any, cfg: UnlearnConfig, base_path: str) -> Any:
    from peft import LoraConfig, get_peft_model

    from meow.modeling.lora import lora_targets

    target = lora_targets(model, cfg.lora_target_modules)  # per architecture; never lm_head / embeddings
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules=target,
                      task_type="CAUSAL_LM")
    try:
        model = get_peft_model(model, lora)
    except ValueError as e:
        raise MeowError(f"LoRA: {str(e).splitlines()[0]}") from None
    local = Path(base_path)
    model.peft_config["default"].base_model_name_or_path = str(local.resolve()) if local.exists() else base_path
    if cfg.gradient_checkpointing:
        model.enable_input_require_grads()  # reentrant checkpointing needs an input that requires grad
    return model


def final_model(trainer: Any, merge: bool) -> Any:
    """The trained model ready for `save_pretrained`: unwrapped, LoRA merged if asked, sharded weights gathered."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    if trainer.is_deepspeed_enabled or trainer.is_fsdp_enabled:
        state = trainer.accelerator.get_state_dict(trainer.model_wrapped)  # collective: every rank calls it
        return _WithState(model, state)
    return model.merge_and_unload() if merge else model  # training is over: merge in place


class _WithState:
    """A model whose `save_pretrained` writes a gathered state dict (ZeRO-3 / FSDP)."""

    def __init__(self, model: Any, state: dict[str, Any]):
        tied = tied_aliases(model)  # ZeRO-2 / ZeRO-3 gather copies: a tied output layer would be saved twice
        self.model = model  # ZeRO-3 gathers the state on the main process only (None elsewhere: never saved)
        self.state = None if state is None else {k: v for k, v in state.items() if k not in tied}

    def save_pretrained(self, path: Any) -> None:
        self.model.save_pretrained(path, state_dict=self.state)


def tied_aliases(model: Any) -> set[str]:
    """Names of parameters that are another parameter under a second name (tied embeddings), the first kept."""
    first: dict[int, str] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        first.setdefault(id(p), name)
    return {name for name, p in model.named_parameters(remove_duplicate=False) if first[id(p)] != name}


def save_into(lm: LM, out: Path, meta: dict[str, Any], model: Any) -> None:
    """Model files into OUT beside the logs already there; meow.json moves last (its presence = complete)."""
    tmp = out / ".model.tmp"
    save_lm(dataclasses.replace(lm, meta={}), tmp, meta, model=model)
    names = [*sorted(p.name for p in tmp.iterdir() if p.name != META_FILE), META_FILE]
    for name in names:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp / name, target)
    tmp.rmdir()


@contextlib.contextmanager
def discard_on_failure(partial: Path, work: Path, final: Path, main: bool) -> Iterator[None]:
    """Remove the staging folders on any error or Ctrl-C (main process), so a refusal at any stage leaves nothing.

    Training keeps no checkpoints, so an interrupted run keeps nothing: Ctrl-C says so (`meow.errors.Interrupted`)
    instead of promising a resume."""
    try:
        yield
    except BaseException as e:
        if main:
            shutil.rmtree(partial, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
        if isinstance(e, KeyboardInterrupt) and not isinstance(e, Interrupted):
            raise Interrupted(f"interrupted; nothing was kept: {final} was not written and meow unlearn keeps no "
                              "checkpoint, so a re-run starts over") from None
        raise


def check_inputs(cfg: UnlearnConfig, method: Method, has_retain: bool, text: bool = False) -> None:
    """Mistakes that only show once the method and the inputs meet; caught before any model is loaded."""
    if text and cfg.eval_every is not None:
        raise MeowError("eval_every: evaluation while training needs QA records; with a text corpus evaluate the "
                        "saved model with `meow eval-muse` instead")
    if text and method.alt == "idk":
        raise MeowError(f"method {cfg.method!r} answers questions with 'I don't know': it needs QA records, "
                        "not a text corpus")
    method.validate()
    if "retain" in method.groups() and not has_retain:
        raise MeowError(f"method {cfg.method!r} trains on the retain set: give --retain FILE "
                        f"(or set retain_weight: 0 where the method has one)")
    if not cfg.best_metric:
        return
    best = best_direction(cfg.best_metric)[0]
    if best == "retain_loss" and not has_retain:
        raise MeowError("best_metric retain_loss needs --retain FILE")
    if best == "forget_quality" and not cfg.retain_eval:
        raise MeowError("best_metric forget_quality needs the retain model's evaluation: --retain-eval DIR")
    if any(os.environ.get(f"ACCELERATE_USE_{k}", "").lower() == "true" for k in ("DEEPSPEED", "FSDP")):
        raise MeowError("best_metric: keeping the best model is not supported with DeepSpeed / FSDP; "
                        "evaluate the saved model with `meow eval` instead")


def trainer_arguments(cfg: UnlearnConfig, work: Path) -> Any:
    """`meow train`'s TrainingArguments plus: no unused-parameter search, CPU autocast allowed, pinning on GPU."""
    import torch

    from meow.modeling.finetune import training_arguments

    accelerated = torch.cuda.is_available() or torch.backends.mps.is_available()
    return training_arguments(cfg, work, steps_per_epoch=1, ddp_find_unused_parameters=False,
                              max_steps=cfg.max_steps or -1, dataloader_pin_memory=accelerated,
                              use_cpu=not accelerated)  # bf16 / fp16 autocast on CPU needs use_cpu


def optimizer_steps(cfg: UnlearnConfig, rows: int, world_size: int = 1) -> tuple[int, int]:
    """(total optimizer steps, steps per epoch) of the default schedule: ceil(ceil(rows / (batch x world)) / accum)
    per epoch, for `epochs` (or `max_steps` when given)."""
    per_epoch = math.ceil(math.ceil(rows / (cfg.batch_size * world_size)) / cfg.grad_accum)
    return cfg.max_steps or max(1, math.ceil(per_epoch * cfg.epochs)), per_epoch


def set_schedule(args: Any, cfg: UnlearnConfig, rows: int) -> int:
    """Warm-up in epochs and sparse logging, from the number of optimizer steps; returns the total.

    `rows` counts data-set items (questions under --schedule reference, whose step count is the reference's).
    """
    if cfg.schedule == "reference":
        from meow.unlearn.schedule import reference_steps

        total, warm = reference_steps(rows, cfg.epochs, cfg.batch_size * cfg.grad_accum * args.world_size,
                                      cfg.max_steps)
        args.max_steps = total
        args.warmup_steps = round(cfg.warmup_epochs * warm) if cfg.warmup_epochs else round(cfg.warmup_ratio * total)
        args.logging_steps = cfg.logging_steps or max(1, total // 20)
        return total
    total, per_epoch = optimizer_steps(cfg, rows, args.world_size)
    args.warmup_steps = round(cfg.warmup_epochs * per_epoch) if cfg.warmup_epochs else round(cfg.warmup_ratio * total)
    args.logging_steps = cfg.logging_steps or max(1, total // 20)
    return total


def forget_rows(lm: LM, method: Method, cfg: UnlearnConfig, records: list[Record], path: str, out: Path,
                main: bool) -> tuple[list[dict[str, Any]], list[Record], int]:
    """Encoded rows; for MEOW first MEMO (if missing) and the selection, both written to OUT."""
    from meow.data.text import is_text
    from meow.unlearn.data import build_rows, build_text_rows

    selected, computed = None, 0
    if method.alt == "inverted":
        records, computed = ensure_memo(lm, records, cfg, path)
        selected = select_inverted(records, cfg.top_k, cfg.select, cfg.seed, path)
        if main:
            if computed:
                write_records(out / "forget_memo.json", records)
            write_jsonl(out / "selected.jsonl", selection_report(records, selected))
    if is_text(records):
        return build_text_rows(method, lm, records, selected, cfg.max_length), records, computed
    return build_rows(method, lm, records, selected, cfg.max_length, cfg.seed), records, computed


def eval_callback(lm: LM, forget: list[Record], retain: list[Record] | None, cfg: UnlearnConfig, out: Path,
                  meta: dict[str, Any], forget_path: str) -> Any:
    from meow.unlearn.evaluation import Evaluator
    from meow.unlearn.trainer import EvalCallback

    def save_best(model: Any) -> None:
        model = copy.deepcopy(model).merge_and_unload() if cfg.merge else model
        save_lm(dataclasses.replace(lm, meta={}), out / "best", {**meta, "best_metric": cfg.best_metric}, model=model)

    return EvalCallback(Evaluator(lm, forget, retain, cfg, cfg.retain_eval, forget_path),
                        eval_interval(cfg.eval_every), out / "train_log.jsonl",
                        best_direction(cfg.best_metric) if cfg.best_metric else None, save_best)


def unlearn(model: str, forget: str, out: str, cfg: UnlearnConfig, method: Method, retain: str | None = None,
            force: bool = False, console: Any = None, callbacks: list[Any] | None = None,
            prompt_format: Any = None) -> dict[str, Any]:
    """Unlearn `forget` from `model` with `method`; save to `out`; return the summary (also unlearn_summary.json).

    `prompt_format`: a `PromptFormat` overriding the model folder's (None: meow.json, else guessed); saved.

    `callbacks`: extra transformers TrainerCallbacks (progress hooks, timers).
    """
    import torch
    from transformers import set_seed

    from meow.data.text import is_text
    from meow.progress import quiet_trainer, verbose
    from meow.unlearn.data import UnlearnCollator, UnlearnDataset, cache_reference_logprobs, retain_rows
    from meow.unlearn.trainer import EpochCallback, JsonlLogCallback, UnlearnTrainer

    main, start, final = is_main_process(), time.time(), Path(out)
    say = console.print if (console is not None and main) else (lambda *a, **k: None)
    if main:  # only the main process looks: the others would race with its first writes
        prepare_output(final, kind="dir", force=force, inputs=[model, forget, retain, cfg.retain_eval])
    out_path = final.parent / f".{final.name}.partial"  # built here, moved to OUT when complete (same on every rank)
    work = out_path.parent / f".{out_path.name}.trainer"  # the Trainer's scratch folder (no checkpoints saved)
    if main:
        shutil.rmtree(out_path, ignore_errors=True)  # left by a run killed without a chance to clean up
    with discard_on_failure(out_path, work, final, main):  # a refusal or Ctrl-C at any point leaves nothing
        forget_records = load_records(forget, text=True)  # QA records or passages (meow.data.text)
        retain_records = load_records(retain, text=True) if retain else None
        check_inputs(cfg, method, retain_records is not None, is_text(forget_records))

        set_seed(cfg.seed)
        lm = load_lm(model, dtype=cfg.dtype, fmt=prompt_format)
        args = trainer_arguments(cfg, work)
        lm.model.to(args.device)
        if main:
            out_path.mkdir(parents=True, exist_ok=True)

        rows, forget_records, memo_computed = forget_rows(lm, method, cfg, forget_records, forget, out_path, main)
        t_ref = time.time()
        if method.ref_logprobs and cfg.ref_mode == "cached":
            say(f"caching reference log-probs of {len(rows)} rows ({', '.join(method.ref_logprobs)})")
            cache_reference_logprobs(lm.model, rows, method.ref_logprobs, lm.tokenizer.pad_token_id, cfg.ref_batch_size,
                                     progress=main and verbose())
        ref_seconds = time.time() - t_ref
        retain_enc = retain_rows(lm, retain_records, cfg.max_length) if "retain" in method.groups() else None
        ref_dtype = torch.float64 if lm.model.dtype == torch.float64 else torch.float32  # as sequence_logprob
        collator: Any = UnlearnCollator(lm.tokenizer.pad_token_id, ref_dtype)
        if cfg.schedule == "reference":
            from meow.unlearn.schedule import FlatCollator, QuestionDataset, rows_per_question

            per_question = rows_per_question(cfg.method, method.alt == "inverted", cfg.rows_per_question)
            dataset: Any = QuestionDataset(rows, per_question, retain_enc)
            collator = FlatCollator(collator)
        else:
            dataset = UnlearnDataset(rows, retain_enc, cfg.seed)
        total = set_schedule(args, cfg, len(dataset))

        train_model = apply_lora(lm.model, cfg, model) if cfg.lora_r else lm.model
        ctx = Context(reduction=cfg.loss_reduction)
        if method.needs_ref_model or (method.ref_logprobs and cfg.ref_mode == "model"):
            ctx.reference = make_reference(train_model, args.device if cfg.ref_device == "same" else cfg.ref_device)
        method.setup(train_model, ctx, cfg.seed)

        meta = provenance(model, lm.meta, forget, retain, cfg, method, len(rows))
        evaluator = eval_callback(lm, forget_records, retain_records, cfg, out_path, meta, forget) if (
            cfg.eval_every is not None) else None
        extra = [evaluator] if evaluator else []
        trainer = UnlearnTrainer(
            model=train_model, args=args, train_dataset=dataset, data_collator=collator,
            callbacks=[EpochCallback(dataset), *method.callbacks(), JsonlLogCallback(out_path / "train_log.jsonl"),
                       *extra, *(callbacks or [])],
            method=method, ctx=ctx)
        quiet_trainer(trainer, f"unlearn {cfg.method}")  # one bar; the log dicts are in train_log.jsonl
        say(f"unlearning with {cfg.method}: {len(rows)} rows ({len(dataset)} items) x {cfg.epochs:g} epochs, {total} "
            f"optimizer steps, "
            f"world size {args.world_size}")
        t_train = time.time()
        result = trainer.train()
        train_seconds = time.time() - t_train

        to_save = final_model(trainer, cfg.merge)
        steps = trainer.state.global_step
        summary = {
            "method": cfg.method, "model": model, "forget": forget, "retain": retain, "out": str(final),
            "rows": len(rows), "items": len(dataset), "schedule": cfg.schedule, "loss_reduction": cfg.loss_reduction,
            "forget_records": len(forget_records), "world_size": args.world_size, "engine": engine(), "steps": steps,
            "train_loss": result.training_loss, "final_loss": last_loss(trainer.state.log_history),
            "memo_computed": memo_computed, "reference_seconds": round(ref_seconds, 3),
            "train_seconds": round(train_seconds, 3), "seconds_per_step": round(train_seconds / max(1, steps), 4),
            "total_seconds": round(time.time() - start, 3), "lora": bool(cfg.lora_r), "merged": cfg.merge,
            **(eval_summary(evaluator, cfg, final) if evaluator else {}),
        }
        if main:
            save_into(lm, out_path, {**meta, "train_seconds": summary["train_seconds"]}, to_save)
            save_config(flat_dict(cfg, method), out_path / "unlearn_config.yaml")
            write_json(out_path / "unlearn_summary.json", summary)
            replace_dir(out_path, final)
            shutil.rmtree(work, ignore_errors=True)
        return summary


def eval_summary(evaluator: Any, cfg: UnlearnConfig, out: Path) -> dict[str, Any]:
    """The last evaluation and, with --best-metric, where the best model is."""
    summary: dict[str, Any] = {"eval": evaluator.history[-1]["eval"] if evaluator.history else None}
    if cfg.best_metric:
        found = evaluator.best_step is not None
        summary["best"] = {"metric": cfg.best_metric, "value": evaluator.best_value, "step": evaluator.best_step,
                           "path": str(out / "best") if found else None}
    return summary


def selection_report(records: list[Record], selected: list[list[int]]) -> list[dict[str, Any]]:
    out = []
    for i, (r, idx) in enumerate(zip(records, selected)):
        scores = (r.get("memo") or {}).get("inverted_answers")
        head = {"text": r["text"]} if "question" not in r else {"question": r["question"], "answer": r["answer"]}
        out.append({"index": i, **head,
                    "selected": [{"index": j, "answer": r["inverted_answers"][j],
                                  "memo": scores[j] if scores else None} for j in idx]})
    return out


def last_loss(history: list[dict[str, Any]]) -> float | None:
    losses = [h["loss"] for h in history if "loss" in h]
    return losses[-1] if losses else None


def provenance(model: str, lm_meta: dict[str, Any], forget: str, retain: str | None, cfg: UnlearnConfig,
               method: Method, rows: int) -> dict[str, Any]:
    return {"made_by": "meow unlearn", "base_model": model, "base_meta": lm_meta, "method": cfg.method, "forget": forget,
            "retain": retain, "rows": rows, "seed": cfg.seed, "unlearn_config": flat_dict(cfg, method)}
