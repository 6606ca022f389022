"""Imports point down only, function-local imports included, and no two meow modules import each other in a cycle.

The layers are the ones `lint-imports` checks (pyproject.toml `[tool.importlinter]`, read here so there is one list);
this test reads every import statement of src/meow with `ast` itself (module level, inside functions, under
TYPE_CHECKING), so it does not depend on how import-linter builds its graph.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_files(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package."""
    out = {}
    for f in sorted((src / package).rglob("*.py")):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def imports_of(name: str, file: Path, modules: set[str]) -> set[str]:
    """The package's modules that `name` imports anywhere in its file (`from a import b`: a.b if it is a module)."""
    is_pkg = file.name == "__init__.py"
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            m = resolve(t)
            if m and m != name:
                found.add(m)
    return found


def graph(src: Path, package: str) -> dict[str, set[str]]:
    files = module_files(src, package)
    return {m: imports_of(m, f, set(files)) for m, f in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def is_command_module(m: str) -> bool:
    return m.rpartition(".")[2] in ("commands", "ability_commands")


def layer_violations(edges: dict[str, set[str]], package: str, layers: list[str]) -> list[str]:
    """Imports that point up a layer or sideways between independent siblings (`a | b`); commands modules are
    the top layer and may import anything, but only `<package>.cli` may import them."""
    rank: dict[str, tuple[int, str]] = {}
    for i, layer in enumerate(layers):
        for part in layer.split("|"):
            rank[f"{package}.{part.strip()}"] = (i, part.strip())

    def place(m: str) -> tuple[int, str] | None:
        top = ".".join(m.split(".")[:2])
        return rank.get(top)

    bad = []
    for m, targets in sorted(edges.items()):
        for t in sorted(targets):
            if is_command_module(t) and m != f"{package}.cli":
                bad.append(f"{m} -> {t}: only {package}.cli imports a commands module")
            if is_command_module(m):
                continue
            a, b = place(m), place(t)
            if a is None or b is None or a[1] == b[1]:
                continue  # the root package (its version) or inside one layer package
            if b[0] < a[0]:
                bad.append(f"{m} -> {t}: imports up ({a[1]} is below {b[1]})")
            elif b[0] == a[0]:
                bad.append(f"{m} -> {t}: {a[1]} and {b[1]} are independent siblings")
    return bad


def private_imports(src: Path, package: str) -> list[str]:
    """`from <package module> import _name` outside that module: a private name used across modules."""
    files = module_files(src, package)
    bad = []
    for name, f in files.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package) and node.module != name:
                bad += [f"{name}: from {node.module} import {a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    return bad


def contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["type"] == "layers")


def test_meow_has_no_import_cycle():
    found = cycles(graph(SRC, "meow"))
    assert not found, "import cycles (function-local imports count):\n" + "\n".join(" -> ".join(c) for c in found)


def test_imports_point_down_the_layers():
    c = contract()
    bad = layer_violations(graph(SRC, "meow"), "meow", c["layers"])
    assert not bad, "\n".join(bad)


def test_modules_share_only_public_names():
    bad = private_imports(SRC, "meow")
    assert not bad, "private names imported across modules (make them public or move them):\n" + "\n".join(bad)


def test_every_top_level_module_has_a_layer():
    layered = {p.strip() for layer in contract()["layers"] for p in layer.split("|")}
    tops = {m.split(".")[1] for m in module_files(SRC, "meow") if m.count(".") >= 1}
    assert tops <= layered, f"not in any layer of pyproject.toml [tool.importlinter]: {sorted(tops - layered)}"


def test_the_checker_sees_function_local_and_relative_imports(tmp_path):
    """A synthetic package: a cycle made only of function-local imports, an upward relative import, and a module
    that imports a commands module; each is reported."""
    pkg = tmp_path / "pk"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "high" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from pk.low import b\n")
    (pkg / "low" / "b.py").write_text("def g():\n    import pk.low.a\n\n\ndef h():\n    from ..high import c\n")
    (pkg / "high" / "c.py").write_text("from pk.low import a\n")
    (pkg / "high" / "commands.py").write_text("from pk.high import c\n")
    (pkg / "low" / "d.py").write_text("if True:\n    from pk.high.commands import x\n")
    edges = graph(tmp_path, "pk")
    assert edges["pk.low.a"] == {"pk.low.b"} and edges["pk.low.b"] == {"pk.low.a", "pk.high.c"}
    assert cycles(edges) == [["pk.high.c", "pk.low.a", "pk.low.b"]]
    bad = layer_violations(edges, "pk", ["high", "low"])
    assert "pk.low.b -> pk.high.c: imports up (low is below high)" in bad
    assert "pk.low.d -> pk.high.commands: only pk.cli imports a commands module" in bad
    assert not any(v.startswith("pk.high.commands ->") for v in bad)  # commands may import anything
    (pkg / "high" / "e.py").write_text("from pk.high.c import _helper, __version__\n")
    assert private_imports(tmp_path, "pk") == ["pk.high.e: from pk.high.c import _helper"]
