"""Every shipped YAML (configs/unlearn, configs/paper, configs/open-unlearning) loads through the resolver that
`meow unlearn --config` uses, names its source in a header comment, and holds the reference values."""

from __future__ import annotations

from pathlib import Path

import pytest

from meow.unlearn.config import resolve_configs

ROOT = Path(__file__).resolve().parents[2] / "configs"
FILES = sorted(p for d in ("unlearn", "paper", "open-unlearning") for p in (ROOT / d).glob("*.yaml"))


def test_there_are_files_for_every_model_split_and_method():
    paper = {p.stem for p in (ROOT / "paper").glob("*.yaml")}
    for model in ("llama2-7b-chat", "phi-1.5"):
        for split in ("forget01", "forget05", "forget10"):
            assert {f"{model}_{split}_{m}" for m in ("meow", "meow_gd", "ga", "gd", "ga_kl", "npo")} <= paper
    ou = {p.stem for p in (ROOT / "open-unlearning").glob("*.yaml")}
    assert {"gradascent", "graddiff", "npo", "simnpo", "idkdpo", "rmu_tofu", "rmu_wmdp", "undial", "altpo", "satimp",
            "wga", "ceu", "pdu"} <= ou


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loads_and_cites_its_source(path):
    cfg, _ = resolve_configs(path)
    assert cfg.method
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# ")
    if path.parent.name != "unlearn":  # the header (leading comment block) names the reference file
        header = "\n".join(line for line in lines[:next(i for i, x in enumerate(lines) if not x.startswith("#"))])
        assert "Source:" in header and (".yaml" in header or ".py" in header)


def test_reference_values():
    cfg, m = resolve_configs(ROOT / "open-unlearning" / "simnpo.yaml")
    assert (m.beta, m.delta, m.forget_weight, m.retain_weight, cfg.lr, cfg.loss_reduction) == (
        4.5, 0.0, 0.125, 1.0, 1e-5, "token")
    cfg, m = resolve_configs(ROOT / "open-unlearning" / "npo.yaml")
    assert (cfg.method, m.beta, m.retain_weight, cfg.epochs, cfg.batch_size * cfg.grad_accum) == ("npo_gd", 0.1, 1.0,
                                                                                                 10, 32)
    cfg, m = resolve_configs(ROOT / "open-unlearning" / "rmu_wmdp.yaml")
    assert (m.layer, m.trainable, m.steering_coeff, cfg.lr, cfg.max_steps) == (
        r"model\.layers\.7", [r"model\.layers\.(5|6|7)\.mlp\.down_proj\.weight"], 2.0, 5e-5, 80)
    cfg, m = resolve_configs(ROOT / "paper" / "llama2-7b-chat_forget10_meow_gd.yaml")
    assert (cfg.schedule, cfg.lr, cfg.epochs, cfg.top_k, cfg.select, cfg.max_length, cfg.seed) == (
        "reference", 1e-5, 10, 3, "largest", 200, 42)
    assert (m.forget_weight, m.retain_weight) == (0.9, 0.1)
