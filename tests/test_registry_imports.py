"""`meow.registry.import_submodules`: a plugin package's files are imported in name order; with `decorated`, only
the plain modules with a top-level line starting with one of the decorators (how meow.evaluate finds its metric
modules: docs/architecture.md, "Adding a metric")."""

from __future__ import annotations

import sys

from meow.registry import import_submodules

DEFINE = "metric = summary = metrics_of_another_kind = lambda *a: (lambda f: f)\n\n\n"
MODULES = {
    "__init__.py": "",
    "sub/__init__.py": DEFINE + "@metric('x')\ndef f(): ...\n",  # a subpackage: not a plain module
    "b_metric.py": DEFINE + "@metric('x')\ndef f(): ...\n",
    "a_summary.py": DEFINE + "@summary('s')\ndef g(): ...\n",
    "c_indented.py": DEFINE + 'DOC = """ @metric("x") in a string """\n\n\nclass A:\n    @metric\n    def f(self): ...\n',
    "d_prefix.py": DEFINE + "@metrics_of_another_kind\ndef f(): ...\n",  # `metrics...` is not `metric`
    "_private.py": DEFINE + "@metric('p')\ndef f(): ...\n",
}


def _forget(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "plugs" or m.startswith("plugs.")]:
        monkeypatch.delitem(sys.modules, name)


def test_decorated_imports_only_the_registering_modules(tmp_path, monkeypatch):
    for rel, text in MODULES.items():
        path = tmp_path / "plugs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    _forget(monkeypatch)
    assert import_submodules("plugs", decorated=("metric", "summary")) == ["plugs.a_summary", "plugs.b_metric"]
    assert not {"plugs.c_indented", "plugs.d_prefix", "plugs._private", "plugs.sub"} & set(sys.modules)
    assert import_submodules("plugs") == ["plugs.a_summary", "plugs.b_metric", "plugs.c_indented", "plugs.d_prefix",
                                          "plugs.sub"]
    _forget(monkeypatch)


def test_meow_evaluate_registers_its_metric_modules():
    from meow.evaluate import METRICS, MIA_ATTACKS, SUMMARIES
    from meow.evaluate.aggregate import METRIC_MODULES

    assert [f"meow.evaluate.{m}" for m in ("extraction", "fluency", "known_facts", "mia", "tofu")] == METRIC_MODULES
    assert {"key_fact", "fluency_ls", "truth_ratio", "mia"} <= set(METRICS.names())
    assert {"known_facts", "model_utility", "privleak"} <= set(SUMMARIES.names()) and "zlib" in MIA_ATTACKS
