"""bench/gpu_check.py --tiny on CPU: every stage runs, the JSON holds what was printed, MEMO batched = plain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from realtok import real_tokenizer_dir

BENCH = Path(__file__).resolve().parents[2] / "bench"
STAGES = ["build", "benchmark", "invert", "memo", "memo_batched_first", "memo_plain_first", "unlearn_meow_gd_full",
          "unlearn_meow_gd_lora", "unlearn_npo_cached", "unlearn_npo_model", "eval"]


def test_gpu_check_tiny_on_cpu(tmp_path, capsys):
    tokenizer = real_tokenizer_dir("llama3")
    sys.path.insert(0, str(BENCH))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(BENCH))
    out = tmp_path / "gpu_check.json"
    result = gpu_check.main(["--tiny", "--tokenizer", str(tokenizer), "--out", str(out), "--work", str(tmp_path / "w"),
                             "--plain-questions", "1", "--max-new-tokens", "2", "--device", "cpu"])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert list(result["stages"]) == STAGES
    assert result["forget_questions"] == 2 and result["candidates_per_question"] == 5  # answer + 4 inverted
    assert result["vocab_size"] == 128256 and result["memo_plain_questions"] == 1
    assert result["memo_max_abs_score_diff"] == 0 and result["memo_max_abs_score_diff_vs_full_run"] == 0
    assert result["npo_cached_vs_model_peak_memory_ratio"] is None  # CPU: RSS only grows, no per-stage peak
    for name in ("memo", "unlearn_meow_gd_full", "eval"):
        stage = result["stages"][name]
        assert stage["seconds"] > 0 and stage["tokens"] > 0 and stage["tokens_per_s"] > 0, name
    cfg = json.loads((tmp_path / "w" / "model" / "config.json").read_text())
    assert cfg["model_type"] == "llama" and cfg["dtype"] == "bfloat16" and cfg["num_key_value_heads"] == 2
    assert (tmp_path / "w" / "unlearn_meow_gd_lora" / "adapter_config.json").is_file()
    printed = capsys.readouterr().out
    assert "gpu_check: " in printed and "MEMO batched" in printed


def test_full_size_model_is_llama_3_2_1b_shaped():
    """The GPU run's model, built on the meta device (no memory): Llama-3.2-1B's 1.24B parameters."""
    from types import SimpleNamespace

    import torch
    from transformers import AutoModelForCausalLM

    from meow.modeling.families import Shape, model_config, parameter_count

    sys.path.insert(0, str(BENCH))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(BENCH))
    tokens = SimpleNamespace(bos_token_id=128000, eos_token_id=128001, pad_token_id=None)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(model_config("llama", 128256, Shape(**gpu_check.LLAMA32_1B), tokens))
    # embeddings 128256 x 2048 (tied) + 16 x (attention 2048 x (2048 + 2 x 512 + 2048) + MLP 3 x 2048 x 8192
    # + 2 norms) + final norm
    per_layer = 2048 * (2048 + 2 * 512 + 2048) + 3 * 2048 * 8192 + 2 * 2048
    assert parameter_count(model) == 128256 * 2048 + 16 * per_layer + 2048 == 1_235_814_400
