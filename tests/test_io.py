"""meow.io: the one output policy (prepare_output), whole-folder atomic writes (staged_dir), the run-folder lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meow.cli import main
from meow.errors import MeowError
from meow.io import LOCK_FILE, prepare_output, run_lock, staged_dir

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "in.json").write_text("[]")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x.txt").write_text("keep")
    (tmp_path / "empty").mkdir()
    return tmp_path


def test_new_outputs_and_empty_folders_are_fine(files):
    assert prepare_output(files / "new", kind="dir") == files / "new"
    assert prepare_output(files / "new.json", kind="file", inputs=[files / "in.json"])
    assert prepare_output(files / "empty", kind="dir")  # an empty folder holds nothing to lose
    assert not (files / "new").exists()  # checking creates nothing


@pytest.mark.parametrize("out, kind, message", [
    ("in.json", "dir", "is a file, but a folder is expected"),
    ("old", "file", "is a folder, but a file is expected"),
    ("in.json/sub", "dir", "in.json is a file, not a folder"),
])
def test_wrong_kind_is_refused_even_with_force(files, out, kind, message):
    with pytest.raises(MeowError, match=message):
        prepare_output(files / out, kind=kind, force=True)


def test_existing_output_needs_force(files):
    with pytest.raises(MeowError, match=r"--out .*old: already exists and is not empty; pass --force"):
        prepare_output(files / "old", kind="dir")
    with pytest.raises(MeowError, match=r"--out .*in.json: already exists; pass --force"):
        prepare_output(files / "in.json", kind="file")
    assert prepare_output(files / "old", kind="dir", force=True)
    assert prepare_output(files / "old", kind="dir", replace_ok=True)  # the caller's own resume rules
    assert (files / "old" / "x.txt").read_text() == "keep"  # the check never deletes


def test_an_input_is_never_an_output(files):
    for out, kind, inputs in [(files / "in.json", "file", [files / "in.json"]),
                              (files / "model", "dir", [files / "model"]),
                              (files / "model", "dir", [files / "model" / "config.json"]),  # the folder holds it
                              (files / "x.json", "file", [files / "in.json"])]:
        also = [files / "in.json"] if out.name == "x.json" else []  # a side file (OUT.summary.json) counts too
        for force in (False, True):
            with pytest.raises(MeowError, match="would overwrite the input"):
                prepare_output(out, kind=kind, force=force, inputs=inputs, also=also)
    os.link(files / "in.json", files / "hard.json")  # the same file under another name
    with pytest.raises(MeowError, match="would overwrite the input file"):
        prepare_output(files / "hard.json", kind="file", force=True, inputs=[files / "in.json"])
    (files / "link").symlink_to(files / "model")
    with pytest.raises(MeowError, match="would overwrite the input folder"):
        prepare_output(files / "link", kind="dir", force=True, inputs=[files / "model"])
    # nor inside an input folder (`unlearn --out MODEL/sub`, `memo --out MODEL/memo.json`), --force or not ...
    for out, kind in ((files / "model" / "sub", "dir"), (files / "model" / "deep" / "memo.json", "file")):
        for force in (False, True):
            with pytest.raises(MeowError, match="is inside the input folder"):
                prepare_output(out, kind=kind, force=force, inputs=[files / "in.json", files / "model"])
    with pytest.raises(MeowError, match="is inside the input folder"):  # a side file counts too
        prepare_output(files / "x.json", kind="file", inputs=[files / "model"], also=[files / "model" / "x.sum"])
    # ... except a workspace that collects outputs (a run folder: RUN/report)
    assert prepare_output(files / "model" / "report", kind="dir", inputs=[files / "model"],
                          holds_outputs=[files / "model"])
    assert not (files / "model" / "sub").exists() and not (files / "model" / "deep").exists()


def test_staged_dir_replaces_whole_or_not_at_all(files):
    out = files / "old"
    with pytest.raises(RuntimeError), staged_dir(out) as tmp:
        (tmp / "half.json").write_text("{")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in out.iterdir()) == ["x.txt"]  # untouched
    assert sorted(p.name for p in files.iterdir()) == ["empty", "in.json", "model", "old"]  # no temp left
    with staged_dir(out) as tmp:
        (tmp / "new.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == ["new.json"]  # no stale file of the old folder
    assert sorted(p.name for p in files.iterdir()) == ["empty", "in.json", "model", "old"]


HOLD = """
import sys, time
sys.path.insert(0, {src!r})
from meow.io import run_lock
with run_lock({folder!r}):
    print("locked", flush=True)
    time.sleep(30)
"""


def test_second_process_stops_at_once_naming_the_holder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(src=SRC, folder=str(tmp_path))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(MeowError) as err, run_lock(tmp_path):
            pass
        # order of events, not seconds: it stopped while the holder still holds the lock (it sleeps 30 s), so it
        # did not wait for the lock to be released
        assert time.monotonic() - start < 30 and holder.poll() is None
        message = str(err.value)
        started = json.loads((tmp_path / LOCK_FILE).read_text())["started"]
        assert f"in use by pid {holder.pid}" in message and started in message and "\n" not in message
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                                  "started": "2020-01-01T00:00:00"}))
    with run_lock(tmp_path) as lock:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_FILE).exists()  # released on exit


def test_lock_is_released_after_an_error(tmp_path):
    with pytest.raises(ValueError), run_lock(tmp_path):
        raise ValueError
    with run_lock(tmp_path):
        pass


def test_two_demo_processes_on_one_folder(tmp_path):
    """`meow demo` itself takes the lock: a second one on the same --out stops with one line, exit 2."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(src=SRC, folder=str(tmp_path / "run"))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = {**os.environ, "PYTHONPATH": SRC}
        res = subprocess.run([sys.executable, "-m", "meow", "demo", "--out", str(tmp_path / "run")],
                             capture_output=True, text=True, env=env, timeout=120)
        assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert f"in use by pid {holder.pid}" in res.stderr
    finally:
        holder.kill()
        holder.wait()


def test_two_sweep_processes_on_one_folder(tmp_path, tiny_model_dir, tiny_bench_dir):
    """`meow sweep` takes the same lock: a second sweep on the same --out stops with one line, exit 2."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(src=SRC, folder=str(tmp_path / "sw"))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / "retain_eval").mkdir()
        res = main(["sweep", "--method", "ga", "--model", str(tiny_model_dir),
                    "--forget", str(tiny_bench_dir / "forget10.json"), "--data", str(tiny_bench_dir),
                    "--retain-eval", str(tmp_path / "retain_eval"), "--out", str(tmp_path / "sw")])
        assert res == 2
    finally:
        holder.kill()
        holder.wait()


def test_a_torn_lock_file_is_waited_for_while_fresh_and_taken_over_once_old(tmp_path):
    lock = tmp_path / LOCK_FILE
    lock.write_text('{"pid": ')  # a process that crashed while writing it, or one writing it right now
    with pytest.raises(MeowError, match="being locked by another process"), run_lock(tmp_path):
        pass
    old = time.time() - 60
    os.utime(lock, (old, old))
    with run_lock(tmp_path):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no stale-file leftovers
