"""Options: defaults per method, YAML < flags, one-line errors; the CLI parser and `meow methods`."""

import re
from pathlib import Path

import pytest

from meow.cli import build_parser, main
from meow.errors import MeowError
from meow.unlearn.config import resolve_configs
from meow.unlearn.methods import METHODS

ROOT = Path(__file__).resolve().parents[2]


def docs_table_methods() -> list[str]:
    """The method names of docs/unlearning.md's "## Methods" table (first cell of each row, in backticks)."""
    text = (ROOT / "docs" / "unlearning.md").read_text()
    section = text.split("\n## Methods\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M)


def readme_methods() -> list[str]:
    """The method names of README.md's "**Unlearning**" bullet (up to its first semicolon)."""
    text = (ROOT / "README.md").read_text()
    listed = text.split("**Unlearning** (`meow unlearn`):", 1)[1].split(";", 1)[0]
    listed = re.sub(r"\([^)]*\)|the baselines|open-unlearning's|\band\b", ",", listed)
    return [w for w in (x.strip() for x in listed.split(",")) if w]


def test_reference_defaults():
    cfg, m = resolve_configs(None, {"method": "meow_gd"})
    assert (cfg.lr, cfg.epochs, cfg.batch_size, cfg.grad_accum, cfg.weight_decay, cfg.warmup_epochs) == (
        1e-5, 10.0, 4, 4, 0.01, 1.0)
    assert (cfg.select, cfg.top_k) == ("smallest", 3)
    assert (m.forget_weight, m.retain_weight) == (0.9, 0.1)
    assert resolve_configs(None, {"method": "npo"})[1].beta == 0.1
    simnpo = resolve_configs(None, {"method": "simnpo"})[1]
    assert (simnpo.beta, simnpo.delta) == (2.5, 0.0)
    assert resolve_configs(None, {})[0].method == "meow"


def test_yaml_then_flags(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("method: simnpo\nlr: 1e-4\nbeta: 3\nepochs: 2\nretain_weight: 0.5\n")
    cfg, m = resolve_configs(y, {"beta": 4.5, "lr": None})
    assert cfg.method == "simnpo" and cfg.lr == 1e-4 and isinstance(cfg.lr, float) and cfg.epochs == 2.0
    assert (m.beta, m.retain_weight, m.delta) == (4.5, 0.5, 0.0)


@pytest.mark.parametrize("values, message", [
    ({"method": "nope"}, "unknown unlearning method 'nope'"),
    ({"bogus": 1}, "unknown option.*bogus"),
    ({"method": "npo", "delta": 1.0}, "delta do not apply to method 'npo'"),
    ({"select": "median"}, "select: 'median' is not one of"),
    ({"warmup_ratio": 0.1}, "either warmup_epochs or warmup_ratio"),
    ({"merge": True}, "only applies with LoRA"),
    ({"eval_every": "sometimes"}, "eval_every"),
    ({"best_metric": "forget_loss"}, "needs evaluation while training"),
    ({"eval_every": "epoch", "best_metric": "accuracy"}, "unknown metric 'accuracy'"),
    ({"lr": "fast"}, "option 'lr': expected a number"),
])
def test_one_line_errors(values, message):
    with pytest.raises(MeowError, match=message) as e:
        resolve_configs(None, values)
    assert "\n" not in str(e.value)


def test_cli_flags_reach_the_configs():
    args = build_parser().parse_args([
        "unlearn", "--model", "m", "--forget", "f.json", "--out", "o", "--method", "npo_gd", "--beta", "0.2",
        "--retain-weight", "2", "--lora-r", "8", "--merge", "--no-auto-memo", "--lora-target-modules", "q_proj,v_proj"])
    from meow.config import overrides_from_args
    from meow.unlearn.config import UnlearnConfig

    overrides = {**overrides_from_args(args, UnlearnConfig),
                 **{k: getattr(args, k) for k in args.method_options if getattr(args, k) is not None}}
    cfg, m = resolve_configs(None, overrides)
    assert (cfg.method, cfg.lora_r, cfg.merge, cfg.auto_memo) == ("npo_gd", 8, True, False)
    assert cfg.lora_target_modules == ["q_proj", "v_proj"]
    assert (m.beta, m.retain_weight) == (0.2, 2.0)


@pytest.mark.parametrize("listed", [docs_table_methods, readme_methods], ids=["docs/unlearning.md", "README.md"])
def test_docs_list_exactly_the_registered_methods(listed):
    names = listed()
    assert len(names) == len(set(names)), names
    assert sorted(set(METHODS.names()) - set(names)) == [], "registered but not documented"
    assert sorted(set(names) - set(METHODS.names())) == [], "documented but not registered"


def test_meow_methods_lists_every_method(capsys):
    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == METHODS.names()
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in lines)  # each with a description


def test_cli_user_error_is_one_line(tmp_path, capsys):
    code = main(["unlearn", "--model", str(tmp_path / "nomodel"), "--forget", str(tmp_path / "missing.json"),
                 "--out", str(tmp_path / "out"), "--method", "npo", "--delta", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "do not apply to method 'npo'" in err


def test_example_configs_resolve():
    import yaml

    folder = Path(__file__).resolve().parents[2] / "configs"
    examples = sorted((folder / "unlearn").glob("*.yaml"))
    assert len(examples) >= 5
    for path in examples:
        cfg, _ = resolve_configs(path)
        assert cfg.method == yaml.safe_load(path.read_text())["method"]
    for path in sorted((folder / "accelerate").glob("*.yaml")):
        from accelerate.commands.config.config_args import load_config_from_file

        assert load_config_from_file(str(path)).num_processes >= 1, path
