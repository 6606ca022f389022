"""Exact answer tokens with the real tokenizers, every prompt format: property tests over seeded random QA pairs.

Checked independently of meow's boundary code: the ids are the joint tokenisation of the text, the answer tokens
cover exactly the answer's characters (offsets recomputed here), BOS appears once, the answer ends with the
template's end-of-turn token, and chat rows are a prefix of `apply_chat_template` on the full conversation.
"""

from __future__ import annotations

import random

import pytest
from realtok import real_tokenizer_dir
from tolerances import U32, logprob_bound

from meow.modeling import IGNORE, LM
from meow.modeling.encoding import tokenize
from meow.modeling.prompt import PRESETS, PromptFormat, parse
from meow.modeling.scoring import encode_pairs

WORDS = ["The", "author", "Jaime", "Vasquez", "was", "born", "in", "1958", "Santiago", "café", "Zürich", "東京",
         "книга", "😀", "42", "3.14", "-7", "(novel)", "\"quoted\"", "it's", "naïve", "x", "A", "—", "100%"]
FORMATS = {
    "plain": ("plain", None),
    "tofu-llama2-chat": ("tofu-llama2-chat", None),
    "tofu-phi": ("tofu-phi", None),
    "tags": ("tags:<\\|q\\|>| ?||", None),
    "chat": ("chat", "chat"),
    "chat-system": ("ou-qwen2.5-instruct", "chat"),
    "ou-llama3-instruct": ("ou-llama3-instruct", "chat"),
}
END_OF_TURN = {"llama3": "<|eot_id|>", "qwen3": "<|im_end|>", "gemma3": "<end_of_turn>", "llama2-chat": "</s>"}
# Llama-2-chat's template (meta-llama/Llama-2-7b-chat-hf tokenizer_config.json): strips the content, writes
# " " before the answer and " </s>" after it; the Llama-2 fixture has no template, so it is added here.
LLAMA2_CHAT = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
    "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = "
    "'<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = "
    "message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + "
    "' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
    "{% endfor %}")


def pairs(seed: int, n: int = 16) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12))) + "?"
        a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 200 if i % 7 == 0 else 15)))
        if i % 5 == 1:
            a = " " + a  # leading space
        if i % 5 == 2:
            a = a + " "  # trailing space
        if i % 9 == 3:
            a = rng.choice(["1958", "42.", "Yes", "東京"])  # one short token or two
        out.append((q, a))
    return out


@pytest.fixture(scope="module", params=["llama2", "llama2-chat", "llama3", "qwen3", "gemma3"])
def tok(request):
    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(real_tokenizer_dir(request.param.split("-")[0]))
    t.meow_name = request.param
    if request.param == "llama2-chat":
        t.chat_template = LLAMA2_CHAT
    if t.pad_token_id is None:
        t.pad_token = t.eos_token
    return t


def lm_for(tok, spec: str) -> LM:
    fmt = parse(spec)
    if fmt.kind == "chat" and not tok.chat_template:
        pytest.skip(f"{tok.meow_name}: no chat template")
    return LM(None, tok, fmt)


def spans(tok, text: str, special: bool) -> list[tuple[int, int]]:
    return [tuple(o) for o in tok(text, add_special_tokens=special, return_offsets_mapping=True)["offset_mapping"]]


@pytest.mark.parametrize("name", list(FORMATS))
def test_answer_tokens_are_the_answer_in_the_joint_tokenisation(tok, name):
    lm = lm_for(tok, FORMATS[name][0])
    fmt = lm.fmt
    eot = fmt.end_of_turn_id(tok)
    if fmt.kind == "chat":
        assert tok.convert_ids_to_tokens(eot) == END_OF_TURN[tok.meow_name]
    for q, a in pairs(hash(name) % 1000):
        prompt, cont = fmt.prompt(tok, q), fmt.continuation(a, tok)
        suffix = fmt.suffix(tok)
        (row,) = encode_pairs(lm, [prompt], [cont])
        ids, labels, n_end = row["input_ids"], row["labels"], row["n_end"]
        text = prompt + cont + suffix
        special = fmt.kind != "chat" and not (tok.bos_token and text.startswith(tok.bos_token))
        joint = tok(text, add_special_tokens=special)["input_ids"]
        offs = spans(tok, text, special)
        # labels are the ids themselves, one contiguous run at the end
        first = next(i for i, x in enumerate(labels) if x != IGNORE)
        assert all(x == IGNORE for x in labels[:first]) and labels[first:] == ids[first:]
        n_answer = len(ids) - first - n_end
        assert n_end >= 1 and ids[-1] == eot
        # the answer's tokens are the joint tokens covering [a0, a1)
        a0, a1 = len(prompt), len(prompt) + len(cont)
        assert ids[: first + n_answer] == joint[: first + n_answer]
        assert all(e <= a0 for s, e in offs[:first])  # no token wholly in the prompt is labelled
        assert all(e > a0 and s < a1 for s, e in offs[first: first + n_answer])  # every labelled one overlaps
        assert offs[first + n_answer - 1][1] >= a1 and (len(offs) == first + n_answer or offs[first + n_answer][0] >= a1)
        got = tok.decode(ids[first: first + n_answer], clean_up_tokenization_spaces=False)
        if offs[first][0] >= a0:  # no token straddles the boundary: the answer's tokens decode to the answer
            assert got.strip() == cont.strip()
        else:  # a straddling token carries the prompt's last characters (documented rule)
            assert got.strip().endswith(cont.strip()) or (prompt[offs[first][0]:] + cont).strip().endswith(got.strip())
        # BOS exactly once where the model has one; never twice
        if tok.bos_token_id is not None:
            adds = tok("x")["input_ids"][:1] == [tok.bos_token_id]
            want = int(text.startswith(tok.bos_token) or (adds and fmt.kind != "chat"))
            assert ids.count(tok.bos_token_id) == want and (ids[0] == tok.bos_token_id) == bool(want)
        # the generation prompt is the scoring context, unless one whitespace token straddles the boundary
        if offs[first][0] >= a0:
            assert tokenize(tok, prompt, fmt.kind == "chat") == ids[:first]
        if fmt.kind == "chat":
            messages = ([{"role": "system", "content": fmt.system}] if fmt.system else []) + [
                {"role": "user", "content": q}, {"role": "assistant", "content": a}]
            if fmt.chat_parts(tok).trims or a == a.strip():
                model_ids = tok.apply_chat_template(messages, tokenize=True, **fmt.template_vars)
                model_ids = model_ids["input_ids"] if hasattr(model_ids, "keys") else model_ids
                assert model_ids[: len(ids)] == ids  # the exact context and answer the template gives the model


def test_tofu_llama2_tags_give_the_joint_first_token(tok):
    if not tok.meow_name.startswith("llama2"):
        pytest.skip("SentencePiece case")
    lm = LM(None, tok, PRESETS["tofu-llama2-chat"][0])
    (row,) = encode_pairs(lm, lm.prompts(["Who wrote it?"]), lm.continuations(["The author did."]))
    first = next(i for i, x in enumerate(row["labels"]) if x != IGNORE)
    assert tok.convert_ids_to_tokens(row["input_ids"][first]) == "The"  # not "▁The", as TOFU trained
    assert tok.convert_ids_to_tokens(tok("The", add_special_tokens=False)["input_ids"])[0] == "▁The"
    assert row["input_ids"][-1] == tok.eos_token_id and row["n_end"] == 1


def test_llama2_chat_template_answer_follows_a_space(tok):
    if tok.meow_name != "llama2-chat":
        pytest.skip("Llama-2-chat template")
    fmt = PromptFormat("chat")
    assert fmt.prompt(tok, "Who?") == "<s>[INST] Who? [/INST]" and fmt.continuation(" Me. ", tok) == " Me."
    assert fmt.suffix(tok) == " </s>" and fmt.end_of_turn_id(tok) == tok.eos_token_id
    lm = LM(None, tok, fmt)
    (row,) = encode_pairs(lm, lm.prompts(["Who?"]), lm.continuations(["The author."]))
    first = next(i for i, x in enumerate(row["labels"]) if x != IGNORE)
    assert tok.convert_ids_to_tokens(row["input_ids"][first]) == "▁The" and row["input_ids"][-1] == tok.eos_token_id


def test_qwen3_prompt_holds_the_empty_think_block(tok):
    if tok.meow_name != "qwen3":
        pytest.skip("Qwen3 template")
    fmt = PromptFormat("chat")
    assert fmt.prompt(tok, "Who?").endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert fmt.suffix(tok).startswith("<|im_end|>")
    lm = LM(None, tok, fmt)
    (row,) = encode_pairs(lm, lm.prompts(["Who?"]), lm.continuations(["Me."]))
    assert tok.convert_ids_to_tokens(row["input_ids"][-1]) == "<|im_end|>"


@pytest.mark.parametrize("name", ["plain", "tofu-llama2-chat", "chat"])
def test_long_answers_are_cut_at_max_length(tok, name):
    lm = lm_for(tok, FORMATS[name][0])
    for q, a in pairs(7, 4):
        a = (a + " ") * 40
        (row,) = encode_pairs(lm, lm.prompts([q]), lm.continuations([a]), max_length=64)
        assert len(row["input_ids"]) == len(row["labels"]) == 64
        assert row["n_end"] == 0  # the end of turn was cut off, as TOFU's truncation does
        full = encode_pairs(lm, lm.prompts([q]), lm.continuations([a]))[0]
        assert full["input_ids"][:64] == row["input_ids"] and full["labels"][:64] == row["labels"]


def test_presets_copy_the_reference_configs():
    p = {k: v[0] for k, v in PRESETS.items()}
    t = p["tofu-llama2-chat"]
    assert (t.kind, t.user_start, t.user_end, t.assistant_start, t.assistant_end) == (
        "tags", "[INST] ", " [/INST]", "", " ")
    t = p["tofu-phi"]
    assert (t.user_start, t.user_end, t.assistant_start, t.assistant_end) == ("Question: ", "\n", "Answer: ", "\n\n")
    t = p["ou-llama3-instruct"]
    assert (t.kind, t.system, t.template_vars) == ("chat", "You are a helpful assistant.", {"date_string": "10 Apr 2025"})
    for name, (fmt, source) in PRESETS.items():
        assert fmt.name == name and ("configs/" in source or "config/" in source)
        assert PromptFormat.from_dict(fmt.to_dict()) == fmt
    assert parse("tags:Question: |\\n|Answer: |\\n\\n") == PromptFormat(
        "tags", user_start="Question: ", user_end="\n", assistant_start="Answer: ", assistant_end="\n\n")
    assert parse("tags:a\\|b|c|d") == PromptFormat("tags", user_start="a|b", user_end="c", assistant_start="d")


def test_generation_stops_on_the_end_of_turn_token(tok):
    if not tok.chat_template:
        pytest.skip("no chat template")
    fmt = PromptFormat("chat")
    stops = fmt.stop_ids(tok)
    assert stops[0] == fmt.end_of_turn_id(tok) and tok.convert_ids_to_tokens(stops[0]) == END_OF_TURN[tok.meow_name]
    from meow.modeling.generation import decode_answer

    ids = tok("The answer.", add_special_tokens=False)["input_ids"]
    assert decode_answer(tok, [*ids, stops[0], *ids], stops) == "The answer."  # cut at the end of turn, dropped


@pytest.mark.parametrize("name", ["tofu-llama2-chat", "chat"])
def test_training_rows_are_the_scored_rows(tok, name):
    """The Trainer's loss on a training row (HF's shifted token-mean CE) equals the row's scored mean NLL."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from meow.modeling import score
    from meow.modeling.finetune import encode_records

    lm = lm_for(tok, FORMATS[name][0])
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, pad_token_id=tok.pad_token_id)
    lm = LM(LlamaForCausalLM(cfg).double().eval(), tok, lm.fmt)  # float64: equality is the claim
    records = [{"question": q, "answer": a} for q, a in pairs(3, 3)]
    rows = encode_records(lm, records, max_length=512)
    scores = score(lm, lm.prompts([r["question"] for r in records]), lm.continuations([r["answer"] for r in records]))
    for row, s in zip(rows, scores):
        with torch.no_grad():
            out = lm.model(input_ids=torch.tensor([row["input_ids"]]), labels=torch.tensor([row["labels"]]))
        assert float(out.logits.abs().max()) < 20  # the premise of the bound below
        # HF's loss and `score` both take a float32 log-softmax of the float64 logits: each mean NLL within
        # tolerances.logprob_bound of the float64 value, so within twice that of each other
        bound = 2 * logprob_bound(len(tok), logit_error=20 * U32, max_logit=20)
        assert float(out.loss) == pytest.approx(s.mean_nll, abs=bound)
