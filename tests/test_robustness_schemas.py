"""Every reader over malformed variants generated from its own declared schema (meow.schema), by kind, not by row.

For each reader: a valid example file (checked to pass the reader first), its schema, and the command that reads
it. From the schema come, for every field the example holds: missing (where required), wrong type, list vs dict,
null, NaN / Infinity (numbers), empty (where a value or a container must hold something), one question fewer
(per-question containers whose questions must agree), a wrong length, plus the whole file as non-UTF-8 bytes. For
YAML configs the schema is the config dataclass (every field: an object, a list, a value of the wrong kind, NaN);
for sweep grids, the `--grid` / `--set` grammar.

Every case: exit 2, exactly one line on stderr starting with `meow`, no traceback, the message naming the file and
the key path, every file that existed byte-identical afterwards and nothing left behind (no output, no hidden
staging folder). The commands run in-process; each refusal comes before any model is loaded.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_robustness import RECORDS, model_dir, one_parser, snapshot  # noqa: F401  (fixtures)

from meow.cli import main
from meow.evaluate.logs import read_eval_logs
from meow.evaluate.logs.open_unlearning import OPEN_UNLEARNING
from meow.evaluate.logs.tofu_logs import TOFU_AGGREGATED, TOFU_LOG
from meow.evaluate.muse.data import SETS, load_muse, row_schema
from meow.evaluate.muse.run import MUSE_EVAL, load_muse_eval
from meow.evaluate.results import eval_schema, summary_schema
from meow.schema import AnyOf, Bool, ByIndex, ListOf, MapOf, Num, Obj, Schema, Str, fits

MISSING = object()  # "delete this key"


# ---------------------------------------------------------------- variants from a schema


def _node(schema: Schema, value: Any) -> Iterator[tuple[str, Any]]:
    """(kind, replacement) for one value: each is something the schema refuses."""
    if not (isinstance(schema, Num) and schema.nullable):
        yield "null", None
    if isinstance(schema, Num):
        yield from (("string", "1.5"), ("boolean", True), ("nan", math.nan), ("infinity", math.inf),
                    ("object", {"value": 1.0}))
    elif isinstance(schema, Bool):
        yield from (("string", "yes"), ("list", [True]))
    elif isinstance(schema, Str):
        yield from (("number", 5), ("object", {"text": "x"}), ("list", ["x"]))
        if schema.nonempty:
            yield "empty", "  "
    elif isinstance(schema, ListOf):
        yield from (("dict", {str(i): v for i, v in enumerate(value)}), ("number", 3))
        if schema.nonempty:
            yield "empty", []
        if schema.length:
            yield "short", value[:-1]
    elif isinstance(schema, MapOf):
        yield from (("list", list(value.values())), ("number", 3), ("string", "x"))
        if schema.nonempty:
            yield "empty", {}
    elif isinstance(schema, Obj):
        yield from (("list", [value]), ("string", "x"), ("number", 1))
        if schema.nonempty or set(schema.fields) - schema.optional:
            yield "empty", {}
    else:  # AnyOf: a value none of the options takes
        yield from (("boolean", True), ("nan", math.nan))
        if not any(isinstance(o, Str) for o in schema.options):
            yield "string", "x"


def variants(schema: Schema, value: Any, keys: tuple = (), depth: int = 9, agree: bool = True,
             within: AnyOf | None = None) -> Iterator[tuple[tuple, str, Any]]:
    """(key path, kind, replacement) for `value` and, down to `depth`, every field it holds. `within`: the AnyOf
    whose option `schema` is (a replacement another option takes, e.g. one loss for a list of losses, is legal)."""
    union = within if within is not None else schema if isinstance(schema, AnyOf) else None
    for kind, bad in _node(schema, value):
        if union is None or not fits(bad, union):  # what one option of a union refuses, another may take
            yield keys, kind, bad
    if depth == 0:
        return
    if isinstance(schema, AnyOf):
        fitting = next(o for o in schema.options if _same_kind(o, value))
        if not isinstance(fitting, (Num, Str)):
            yield from ((k, kind, bad) for k, kind, bad in variants(fitting, value, keys, depth, agree, schema)
                        if k != keys or kind not in {kd for kd, _ in _node(schema, value)})
    elif isinstance(schema, Obj):
        for name, sub in schema.fields.items():
            if name in value:
                if name not in schema.optional:
                    yield (*keys, name), "missing", MISSING
                yield from variants(sub, value[name], (*keys, name), depth - 1, agree)
    elif isinstance(schema, MapOf) and value:
        first = next(iter(value))
        yield from variants(schema.item, value[first], (*keys, first), depth - 1, agree)
        if isinstance(schema, ByIndex) and agree and len(value) > 1 and not str(keys[:1]).startswith("('mia_"):
            # (an MIA's forget and holdout scores are sets of their own)
            yield keys, "one-question-fewer", {k: v for k, v in list(value.items())[:-1]}
    elif isinstance(schema, ListOf) and value:
        yield from variants(schema.item, value[0], (*keys, 0), depth - 1, agree)


def _same_kind(schema: Schema, value: Any) -> bool:
    if isinstance(schema, Num) and isinstance(value, bool):
        return False
    kinds = {Num: (int, float), Bool: bool, Str: str, ListOf: list, MapOf: dict, ByIndex: dict, Obj: dict}
    return isinstance(value, kinds[type(schema)])


def mutated(doc: Any, keys: tuple, bad: Any) -> Any:
    if not keys:
        return bad
    out = copy.deepcopy(doc)
    node = out
    for k in keys[:-1]:
        node = node[k]
    if bad is MISSING:
        del node[keys[-1]]
    else:
        node[keys[-1]] = bad
    return out


def expected_words(keys: tuple, kind: str) -> list[str]:
    """What the message must name: every key on the path (a question as `question K`, a list item by its
    position), or, for a question dropped from one container, that a question is missing."""
    if kind == "one-question-fewer":
        return ["question"]
    return [f"question {k}" if isinstance(k, str) and k.isdigit() else str(k) for k in keys
            if not isinstance(k, int)] + [f" {k}" for k in keys if isinstance(k, int)]


# ---------------------------------------------------------------- valid example files

N = 3


def tofu_log() -> dict[str, Any]:
    q = [str(i) for i in range(N)]
    return {"avg_gt_loss": {k: 1.0 + i for i, k in enumerate(q)},
            "avg_paraphrased_loss": {k: 1.5 + i for i, k in enumerate(q)},
            "average_perturb_loss": {k: [2.0 + i, 2.5] for i, k in enumerate(q)},
            "rougeL_recall": {k: 0.25 * i for i, k in enumerate(q)},
            "generated_text": {k: [f"question {k}", f"generation {k}", f"answer {k}"] for k in q},
            "truth_ratio": {}}


def open_unlearning_log() -> dict[str, Any]:
    q = [str(i) for i in range(N)]

    def metric(item):
        return {"agg_value": 0.5, "value_by_index": {k: item(i) for i, k in enumerate(q)}}

    out = {}
    for p in ("forget",):  # the other splits' metrics share these schemas (ra's own ones below)
        out[f"{p}_Q_A_Prob"] = metric(lambda i: {"prob": 0.3, "avg_loss": 1.2 + i})
        out[f"{p}_Q_A_PARA_Prob"] = metric(lambda i: {"prob": 0.2, "avg_loss": 1.6})
        out[f"{p}_Q_A_PERT_Prob"] = metric(lambda i: {"prob": [0.1, 0.1], "avg_loss": [2.3, 2.4 + i]})
        out[f"{p}_Q_A_ROUGE"] = metric(lambda i: {"rougeL_recall": 0.5, "generation": "g", "ground_truth": "a"})
    out["forget_truth_ratio"] = metric(lambda i: {"score": 0.8})
    out["ra_Q_A_Prob"] = metric(lambda i: {"prob": 0.2, "avg_loss": 1.6})
    out["ra_Q_A_Prob_normalised"] = metric(lambda i: {"prob": 0.4})
    out["extraction_strength"] = metric(lambda i: {"score": 0.1})
    out["mia_min_k"] = {"agg_value": 0.6, "auc": 0.6,
                        "forget": {"value_by_index": {k: {"score": 1.0 + i} for i, k in enumerate(q)}},
                        "holdout": {"value_by_index": {k: {"score": 2.0} for k in q}}}
    out["model_utility"] = {"agg_value": 0.4}  # an aggregate-only metric meow does not read
    return out


MUSE_ROWS = {"verbmem_forget": [{"prompt": "It was a cold", "gt": " day in May."}, {"prompt": "The", "gt": " end."}],
             "knowmem_forget_qa": [{"question": "Who?", "answer": "Ann."}, {"question": "When?", "answer": "1990."}],
             "privleak_forget": [{"text": "A passage about Ann."}, "Another passage."]}
CORPUS = [{"text": "Ann Lee wrote a book in 1990.", "inverted_answers": ["Bo Park wrote a book in 1980."]},
          "A plain passage about Cy Ode."]
MEOW_EVAL = {"format": 1, "model": "m", "splits": {"forget": {"records": [
    {"index": i, "question": f"Q{i}?", "answer": "A.", "probability": 0.5, "truth_ratio": 0.7 + i / 10,
     "log_truth_ratio": -0.3, "rouge_l_recall": 0.8, "fact_hit": True, "mia": {"loss": 0.4, "min_k": -2.0}}
    for i in range(N)]}}}
MEOW_SUMMARY = json.loads(json.dumps(__import__("meow.evaluate.aggregate", fromlist=["summarize"]).summarize(MEOW_EVAL)))
MUSE_RETAIN_EVAL = {"kind": "muse", "model": "retain", "privleak": {"auc": 0.6, "by_attack": {"min_k": 0.6, "loss": 0.5}}}


@dataclasses.dataclass
class Reader:
    """One reader: its schema, a valid example, where the example goes and the command that reads it."""

    name: str
    schema: Schema
    example: Any
    file: str  # relative to the workspace
    argv: list[str]  # {ws}: workspace, {model}, {bench}, {out}
    depth: int = 9
    agree: bool = True  # its per-question containers must cover the same questions
    other: dict[str, Any] = dataclasses.field(default_factory=dict)  # further valid files of the same input


READERS = [
    Reader("tofu-log", TOFU_LOG, tofu_log(), "logs/eval_log_forget.json", ["summarize", "{ws}/logs", "--out", "{out}"],
           other={"logs/eval_log.json": tofu_log()}),
    Reader("meow-eval", eval_schema(), MEOW_EVAL, "evalf/eval.json", ["summarize", "{ws}/evalf", "--out", "{out}"]),
    Reader("meow-summary", summary_schema(), MEOW_SUMMARY, "target/summary.json",
           ["sweep", "--method", "ga", "--model", "{model}", "--forget", "{ws}/recs.json", "--data", "{bench}",
            "--retain-eval", "{ws}/evalf", "--target-eval", "{ws}/target", "--out", "{out}"], depth=3,
           other={"target/eval.json": MEOW_EVAL, "evalf/eval.json": MEOW_EVAL, "recs.json": RECORDS}),
    Reader("tofu-log-as-retain-eval", TOFU_LOG, tofu_log(), "logs/eval_log_forget.json",
           ["eval", "--model", "{model}", "--data", "{bench}", "--retain-eval", "{ws}/logs", "--out", "{out}"],
           depth=2),
    Reader("tofu-aggregated", TOFU_AGGREGATED, {"eval_log_forget.json": tofu_log(), "eval_log.json": tofu_log()},
           "logs/eval_log_aggregated.json", ["summarize", "{ws}/logs", "--out", "{out}"], depth=2),
    Reader("open-unlearning", OPEN_UNLEARNING, open_unlearning_log(), "ou/TOFU_EVAL.json",
           ["summarize", "{ws}/ou", "--out", "{out}"]),
    Reader("open-unlearning-as-retain-eval", OPEN_UNLEARNING, open_unlearning_log(), "ou/TOFU_EVAL.json",
           ["summarize", "{ws}/logs", "--retain-eval", "{ws}/ou/TOFU_EVAL.json"], depth=1,
           other={"logs/eval_log_forget.json": tofu_log()}),
    *(Reader(f"muse-{name}", row_schema(SETS[name][2]), rows, f"muse/{SETS[name][0]}/{SETS[name][1]}.json",
             ["eval-muse", "--model", "{model}", "--data", "{ws}/muse", "--out", "{out}"],
             other={f"muse/{SETS[o][0]}/{SETS[o][1]}.json": r for o, r in MUSE_ROWS.items() if o != name})
      for name, rows in MUSE_ROWS.items()),
    Reader("muse-retain-eval", MUSE_EVAL, MUSE_RETAIN_EVAL, "muse_retain/eval.json",
           ["eval-muse", "--model", "{model}", "--data", "{ws}/muse", "--retain-eval", "{ws}/muse_retain",
            "--out", "{out}"], other={f"muse/{SETS[o][0]}/{SETS[o][1]}.json": r for o, r in MUSE_ROWS.items()}),
    Reader("text-corpus", __import__("meow.data.text", fromlist=["CORPUS"]).CORPUS, CORPUS, "corpus.json",
           ["unlearn", "--model", "{model}", "--forget", "{ws}/corpus.json", "--method", "ga", "--out", "{out}"]),
]


def _lay_out(ws: Path, reader: Reader, content: Any | bytes) -> Path:
    for rel, doc in reader.other.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(json.dumps(doc))
    path = ws / reader.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def _read(reader: Reader, ws: Path) -> Any:
    """The reader itself on the laid-out example (the control: the valid file passes)."""
    if reader.name == "meow-summary":
        from meow.evaluate.aggregate import load_eval

        return load_eval(ws / "target").summary
    if reader.name.startswith("muse-retain"):
        return load_muse_eval(ws / "muse_retain")
    if reader.name.startswith("muse"):
        return load_muse(ws / "muse")
    if reader.name == "text-corpus":
        from meow.data import load_records

        return load_records(ws / "corpus.json", text=True)
    return read_eval_logs(ws / Path(reader.file).parent)


def _cases() -> list[tuple[str, tuple, str, Any]]:
    out = []
    for r in READERS:
        out += [(r.name, keys, kind, bad) for keys, kind, bad in variants(r.schema, r.example, depth=r.depth,
                                                                           agree=r.agree)]
        out.append((r.name, (), "non-utf8", None))
    return out


CASES = _cases()


def _id(case: tuple) -> str:
    name, keys, kind, _ = case
    return f"{name}:{'/'.join(map(str, keys)) or 'file'}:{kind}"


def _refused(argv: list[str], roots: list[Path], out: Path, capsys) -> str:
    before = snapshot(*roots)
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, f"{argv}: exit {rc}: {err}"
    assert len(err.splitlines()) == 1 and err.startswith("meow") and "Traceback" not in err, err
    after = snapshot(*roots)
    assert {k: v for k, v in after.items() if k in before} == before, f"{argv} changed a file"
    assert set(after) == set(before), f"{argv} left {sorted(set(after) - set(before))}"
    assert not out.exists()
    return err


@pytest.fixture
def roots(tmp_path, tiny_bench_dir, model_dir):  # noqa: F811
    return [tmp_path, Path(tiny_bench_dir), Path(model_dir)]


def _argv(reader: Reader, ws: Path, model: Path, bench: Path) -> list[str]:
    subs = {"{ws}": str(ws), "{model}": str(model), "{bench}": str(bench), "{out}": str(ws / "out")}
    out = []
    for a in reader.argv:
        for k, v in subs.items():
            a = a.replace(k, v)
        out.append(a)
    return out


@pytest.mark.parametrize("reader", READERS, ids=[r.name for r in READERS])
def test_the_example_passes_its_reader(reader, tmp_path):
    _lay_out(tmp_path, reader, reader.example)
    assert _read(reader, tmp_path)


@pytest.mark.parametrize("name, keys, kind, bad", CASES, ids=[_id(c) for c in CASES])
def test_malformed_variant_is_one_line_and_leaves_nothing(name, keys, kind, bad, tmp_path, roots, tiny_bench_dir,
                                                          model_dir, capsys):  # noqa: F811
    reader = next(r for r in READERS if r.name == name)
    if kind == "non-utf8":  # the valid file with one byte that is not UTF-8 inside a string
        content: Any = json.dumps(reader.example).encode().replace(b'"', b'"\xff', 1)
    else:
        content = mutated(reader.example, keys, bad)
    path = _lay_out(tmp_path, reader, content)
    err = _refused(_argv(reader, tmp_path, model_dir, tiny_bench_dir), roots, tmp_path / "out", capsys)
    assert path.name in err, err
    if kind == "non-utf8":
        assert "UTF-8" in err, err
    else:
        for word in expected_words(keys, kind):
            assert word in err, f"{word!r} not in: {err}"


# ---------------------------------------------------------------- YAML configs: the config dataclass is the schema

def _bad_values(tp: Any) -> list[tuple[str, Any]]:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    base = args[0] if typing.get_origin(tp) is not None and len(args) == 1 else tp
    common = [("object", {"a": 1})]
    if typing.get_origin(base) in (list, tuple):
        return [*common, ("number", 5), ("list-of-numbers", [1, 2])]
    if base is bool:
        return [*common, ("word", "maybe"), ("list", [True])]
    if base in (int, float):
        return [*common, ("word", "abc"), ("list", [1]), ("nan", math.nan), ("infinity", math.inf)]
    return [*common, ("list", ["a", "b"]), ("number", 5)]


def _yaml_cases() -> list[tuple[str, str, str, Any]]:
    from meow.evaluate import EvalConfig
    from meow.unlearn.config import UnlearnConfig

    out = []
    for command, cls in (("unlearn", UnlearnConfig), ("eval", EvalConfig)):
        for name, tp in typing.get_type_hints(cls).items():
            if name in {f.name for f in dataclasses.fields(cls)} and name != "method":  # --method replaces it
                out += [(command, name, kind, v) for kind, v in _bad_values(tp)]
        out += [(command, "", "top-level-list", ["lr: 1"]), (command, "", "non-utf8", None),
                (command, "bogus_option", "unknown-key", 1), (command, "", "not-yaml", "[unclosed")]
    return out


YAML_CASES = _yaml_cases()
YAML_ARGV = {"unlearn": ["unlearn", "--model", "{model}", "--forget", "{ws}/recs.json", "--method", "ga", "--out",
                         "{out}", "--config", "{ws}/bad.yaml"],
             "eval": ["eval", "--model", "{model}", "--data", "{bench}", "--out", "{out}", "--config",
                      "{ws}/bad.yaml"]}


@pytest.mark.parametrize("command, field, kind, value", YAML_CASES,
                         ids=[f"{c}:{f or 'file'}:{k}" for c, f, k, _ in YAML_CASES])
def test_malformed_yaml_config_is_one_line(command, field, kind, value, tmp_path, roots, tiny_bench_dir,
                                           model_dir, capsys):  # noqa: F811
    (tmp_path / "recs.json").write_text(json.dumps(RECORDS))
    path = tmp_path / "bad.yaml"
    if kind == "non-utf8":
        path.write_bytes(b"lr: 0.001\nmethod: g\xffa\n")
    elif kind == "not-yaml":
        path.write_text(f"lr: {value}\n")
    elif kind == "top-level-list":
        path.write_text(yaml.safe_dump(value))
    else:
        path.write_text(yaml.safe_dump({field: value}))
    reader = Reader("yaml", Str(), None, "bad.yaml", YAML_ARGV[command])
    err = _refused(_argv(reader, tmp_path, model_dir, tiny_bench_dir), roots, tmp_path / "out", capsys)
    assert "bad.yaml" in err or "--config" in err, err
    if field:
        assert field in err, err


# ---------------------------------------------------------------- sweep grids: the --grid / --set grammar

GRID_CASES = [("--grid", g) for g in ("lr", "lr=", "=1e-4", "lr=1e-4,,2e-4", "lr=1e-4,", "lr=,1e-4", "lr= , ",
                                       "seed=1,2", "bogus=1,2", "lr=1e-4,1e-4", "lr=x,y", "epochs=-1,2",
                                       "lr=nan,1e-4")] + \
             [("--set", s) for s in ("lr", "lr=", "lr=1e-4,2e-4", "bogus=1", "lr=1e-4,,", "lr=-1", "epochs=abc")]


@pytest.mark.parametrize("flag, item", GRID_CASES, ids=[f"{f}:{i}" for f, i in GRID_CASES])
def test_malformed_grid_item_names_its_flag(flag, item, tmp_path, roots, tiny_bench_dir, model_dir, capsys):  # noqa: F811
    (tmp_path / "recs.json").write_text(json.dumps(RECORDS))
    (tmp_path / "retain").mkdir()
    argv = ["sweep", "--method", "ga", "--model", str(model_dir), "--forget", str(tmp_path / "recs.json"), "--data",
            str(tiny_bench_dir), "--retain-eval", str(tmp_path / "retain"), "--out", str(tmp_path / "out"), flag, item]
    err = _refused(argv, roots, tmp_path / "out", capsys)
    assert err.split(": error: ")[1].startswith(f"{flag} "), err  # the flag the user typed comes first
