"""Peak memory of scoring answers with a Qwen3-sized vocabulary: meow's `score` against a naive full log-softmax.

    python bench/bench_scoring_memory.py [--batch-size 16] [--answer-words 30] [--hidden 64]

A randomly initialised small Qwen3 (Qwen3Config, vocabulary of the real Qwen3 tokenizer in
.fixtures/tokenizers/qwen3, about 151k tokens; weights do not matter for memory) scores one batch of TOFU-shaped
chat-formatted QA pairs twice, each in a fresh Python process:

- `meow`: `meow.modeling.score` (only the scored positions reach the output head, log-softmax in chunks);
- `naive`: full logits and `log_softmax` over [batch, length, vocab], then the answer positions gathered, as
  open-unlearning's `tokenwise_vocab_logprobs` does.

Peak memory is the increase of the process's peak RSS over its RSS just before scoring (peak reset through
/proc/self/clear_refs), or torch.cuda.max_memory_allocated on a GPU. Both must give the same mean NLLs. Prints, e.g.

    scoring_memory: meow/naive peak memory ratio 0.05 (31 MB vs 650 MB), same scores
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

NAME = "scoring_memory"
ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / ".fixtures" / "tokenizers" / "qwen3"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_scoring_memory", description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=16, help="QA pairs scored in the batch")
    p.add_argument("--answer-words", type=int, default=30, help="words per answer (about 1.3 tokens each)")
    p.add_argument("--hidden", type=int, default=64, help="model width")
    p.add_argument("--variant", choices=("meow", "naive"), default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    from meow.modeling import LM, PromptFormat, score
    from meow.modeling.encoding import IGNORE, collate
    from meow.modeling.scoring import encode_pairs

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    cfg = Qwen3Config(vocab_size=len(tok), hidden_size=args.hidden, intermediate_size=2 * args.hidden,
                      num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=32,
                      tie_word_embeddings=False, pad_token_id=tok.pad_token_id)
    model = Qwen3ForCausalLM(cfg).eval()
    lm = LM(model, tok, PromptFormat("chat"))
    rng = random.Random(0)
    words = ["author", "born", "in", "1958", "Santiago", "novel", "award", "her", "father", "was", "a", "baker"]
    qs = [f"What did author {i} write about {rng.choice(words)}?" for i in range(args.batch_size)]
    ans = [" ".join(rng.choice(words) for _ in range(args.answer_words)) + "." for _ in qs]
    prompts, conts = lm.prompts(qs), lm.continuations(ans)
    cuda = torch.cuda.is_available()
    if cuda:
        model.cuda()
    rows = encode_pairs(lm, prompts, conts)
    batch = {k: v.to(lm.device) for k, v in collate(rows, tok.pad_token_id).items()}
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
        base = _rss_kb("VmRSS") * 1024
    with torch.no_grad():
        if args.variant == "meow":
            nll = [s.mean_nll for s in score(lm, prompts, conts, batch_size=args.batch_size)]
        else:
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            logp = torch.log_softmax(logits.float(), dim=-1)[:, :-1]
            tgt = batch["labels"][:, 1:]
            mask = tgt != IGNORE
            lp = logp.gather(-1, tgt.clamp_min(0)[..., None]).squeeze(-1) * mask
            nll = (-(lp.sum(1)) / mask.sum(1)).tolist()
    peak = torch.cuda.max_memory_allocated() if cuda else _rss_kb("VmHWM") * 1024
    return {"variant": args.variant, "peak_bytes": peak - base, "nll": nll, "vocab": len(tok),
            "tokens": int(batch["input_ids"].numel()), "scored": int((batch["labels"] != -100).sum()),
            "device": "cuda" if cuda else "cpu"}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    if args.variant:
        print(json.dumps(child(args)))
        return {}
    if not (TOKENIZER / "tokenizer.json").is_file():
        print(f"{NAME}: skipped, {TOKENIZER} missing (python scripts/fetch_fixtures.py)")
        return {"skipped": True}
    res = {}
    for variant in ("meow", "naive"):
        cmd = [sys.executable, __file__, "--variant", variant, "--batch-size", str(args.batch_size),
               "--answer-words", str(args.answer_words), "--hidden", str(args.hidden)]
        env = {"PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
               "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
               "MALLOC_MMAP_THRESHOLD_": "65536"}  # large blocks mmapped: freed memory leaves the RSS at once
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        res[variant] = json.loads(out.strip().splitlines()[-1])
    m, n = res["meow"], res["naive"]
    same = all(abs(a - b) <= 1e-4 * max(1.0, abs(b)) for a, b in zip(m["nll"], n["nll"]))
    ratio = m["peak_bytes"] / max(1, n["peak_bytes"])
    print(f"batch {args.batch_size}, {m['tokens']} tokens ({m['scored']} scored), vocabulary {m['vocab']}, "
          f"{m['device']}")
    print(f"{NAME}: meow/naive peak memory ratio {ratio:.3f} ({m['peak_bytes'] / 2**20:.0f} MB vs "
          f"{n['peak_bytes'] / 2**20:.0f} MB), {'same scores' if same else 'SCORES DIFFER'}")
    return {"ratio": ratio, "same_scores": same, **res}


if __name__ == "__main__":
    main()
