"""MUSE's sustainability and scalability figures: each metric against the request index of sequential unlearning
(`meow unlearn --sequence`), and forget / utility against the forget-set size (`meow sweep --grid forget_size=...`),
one line per method.

    sustainability.png            a panel per metric; x = request k, y = the value on the union of requests 1..k
                                  (what has been asked forgotten so far; model utility on the general splits)
    sustainability_requests.png   a panel per method; one line per request j: its forget ROUGE-L after each step k >= j
    scalability.png               a panel per metric; x = forget-set size (% of authors), each point from the original
                                  model
    sequence_points.json          every point drawn above, {"sustainability": {metric: {method: [[k, value]]}},
                                  "requests": {method: {j: [[k, value]]}}, "scalability": {metric: {method: [[size,
                                  value]]}}}

Values are the report's columns (`meow.report.columns`), read from each step's summary.json and the per-request
summaries in step_k/requests.json; a missing value is left out of its line (a note says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.benchmark import BENCHMARKS
from meow.io import read_json, write_json
from meow.report.plots import PALETTE, figure, save_figure

REQUEST_METRIC = "forget_rouge_l"


def column_values(summary: dict[str, Any]) -> dict[str, float | None]:
    """The report's value of each column the summary's benchmark draws against the request index
    (`Benchmark.sequence_columns`) for one summary.json."""
    from meow.report.collect import METHOD, Model, Run
    from meow.report.columns import COLUMNS

    model = Model("m", METHOD, Path("."), summary)
    run = Run(Path("."), Path("."), [model])
    bench = BENCHMARKS.for_summary(summary)
    names = bench.sequence_columns if bench else ()
    return {c.name: c.get(model, run)[0] for c in COLUMNS if c.name in names}


def labels() -> dict[str, str]:
    from meow.report.columns import COLUMNS

    names = {n for b in BENCHMARKS.names() for n in BENCHMARKS.get(b).sequence_columns}
    return {c.name: c.label for c in COLUMNS if c.name in names}


def sequence_folders(root: Path) -> list[Path]:
    """ROOT itself if it is a sequence folder, else ROOT/*/ and ROOT/sequences/*/ holding sequence.json."""
    if (root / "sequence.json").is_file():
        return [root]
    return [p.parent for p in [*sorted(root.glob("*/sequence.json")), *sorted(root.glob("sequences/*/sequence.json"))]]


def sequence_points(folders: list[Path]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """({metric: {method: [[k, v]]}}, {method: {j: [[k, v]]}}, notes) over the finished steps of each folder."""
    series: dict[str, dict[str, list[list[float]]]] = {}
    requests: dict[str, dict[str, list[list[float]]]] = {}
    notes: list[str] = []
    for folder in folders:
        table = read_json(folder / "sequence.json")
        name = _name(table, folder, [f for f in folders if f != folder])
        for step in table["steps"]:
            k = step["index"]
            values = column_values(read_json(folder / f"step_{k}" / "eval" / "summary.json"))
            for m, v in values.items():
                series.setdefault(m, {})
                if v is None:
                    notes.append(f"sustainability: {name} step {k}: no {m}")
                    continue
                series[m].setdefault(name, []).append([k, v])
            per = read_json(folder / f"step_{k}" / "requests.json")  # {} for text requests
            for j, summary in per.items():
                v = column_values(summary).get(REQUEST_METRIC)  # None: a benchmark that does not draw it
                if v is not None:
                    requests.setdefault(name, {}).setdefault(j, []).append([k, v])
    return series, requests, notes


def _name(table: dict[str, Any], folder: Path, others: list[Path]) -> str:
    """The method, or the folder name when two folders ran the same method."""
    same = [o for o in others if (o / "sequence.json").is_file()
            and read_json(o / "sequence.json").get("method") == table["method"]]
    return f"{table['method']} ({folder.name})" if same else table["method"]


def _panels(series: dict[str, dict[str, list[list[float]]]], path: Path, xlabel: str, title: str,
            names: dict[str, str]) -> None:
    fig = figure(3.2 * len(series), 3.2)
    methods = list(dict.fromkeys(m for lines in series.values() for m in lines))
    for i, (metric, lines) in enumerate(series.items()):
        ax = fig.add_subplot(1, len(series), i + 1)
        for method, pts in lines.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=4, linewidth=1.3,
                    color=PALETTE[methods.index(method) % len(PALETTE)], label=method)
        xs = sorted({p[0] for pts in lines.values() for p in pts})
        if xs:
            ax.set_xticks(xs)
        else:
            ax.text(0.5, 0.5, "no values" + (" (needs the retain model's evaluation)" if metric == "forget_quality"
                                             else ""), ha="center", va="center", fontsize=7, transform=ax.transAxes)
        if metric == "forget_quality" and xs:
            ax.set_yscale("log")
        ax.set_title(names.get(metric, metric), fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, color="#e5e5e5", linewidth=0.8)
        ax.spines[["top", "right"]].set_visible(False)
    drawn = [ax for ax in fig.axes if ax.lines]
    if drawn:
        drawn[0].legend(fontsize=7, frameon=True, framealpha=0.9)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def sustainability_plot(series: dict[str, Any], path: Path) -> None:
    _panels(series, path, "request k (unlearned one after another)",
            "Sustainability: after request k, on requests 1..k (utility: general splits)", labels())


def requests_plot(requests: dict[str, dict[str, list[list[float]]]], path: Path) -> None:
    """One panel per method, one line per request j: its forget ROUGE-L after every step k >= j."""
    fig = figure(3.2 * max(1, len(requests)), 3.2)
    for i, (method, lines) in enumerate(requests.items()):
        ax = fig.add_subplot(1, len(requests), i + 1)
        for j, pts in lines.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=4, linewidth=1.2,
                    color=PALETTE[(int(j) - 1) % len(PALETTE)], label=f"request {j}")
        ax.set_xticks(sorted({p[0] for pts in lines.values() for p in pts}))
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("after request k", fontsize=8)
        ax.set_ylabel(f"{labels().get(REQUEST_METRIC, REQUEST_METRIC)} of request j", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, color="#e5e5e5", linewidth=0.8)
        ax.legend(fontsize=7)
    fig.suptitle("Each request's forget ROUGE-L after later requests", fontsize=10)
    save_figure(fig, path)


def scaling_points(tables: list[dict[str, Any]]) -> dict[str, dict[str, list[list[float]]]]:
    """{metric: {method: [[size, mean over seeds]]}} of the sweeps over `forget_size` (other grid keys: one line
    per value, named `method key=value`)."""
    metrics = BENCHMARKS.get("tofu").sequence_columns  # forget_size sweeps are over TOFU's forget splits
    out: dict[str, dict[str, list[list[float]]]] = {m: {} for m in metrics}
    for t in tables:
        others = [k for k in t["grid"] if k != "forget_size"]
        for row in t["points"]:
            name = t["method"] + "".join(f" {k}={row['point'][k]}" for k in others)
            for m in metrics:
                v = (row["values"].get(m) or {}).get("mean")
                if v is not None:
                    out[m].setdefault(name, []).append([float(row["point"]["forget_size"]), v])
    for lines in out.values():
        for pts in lines.values():
            pts.sort()
    return out


def scaling_tables(root: Path) -> list[dict[str, Any]]:
    """sweep.json of ROOT (or ROOT/*/, ROOT/scaling/*/, ROOT/sweeps/*/) whose grid has forget_size."""
    found = [root / "sweep.json"] if (root / "sweep.json").is_file() else [
        *sorted(root.glob("*/sweep.json")), *sorted(root.glob("scaling/*/sweep.json")),
        *sorted(root.glob("sweeps/*/sweep.json"))]
    tables = [read_json(p) for p in found]
    return [t for t in tables if "forget_size" in (t.get("grid") or {})]


def scaling_plot(points: dict[str, Any], path: Path) -> None:
    _panels(points, path, "forget-set size (TOFU: % of authors; known facts: entities)",
            "Scalability: each size unlearned from the original model", labels())


def write_sequence_plots(root: str | Path, out: str | Path | None = None) -> list[Path]:
    """Every figure the sequence folders and forget-size sweeps under `root` allow, into OUT (default ROOT/plots),
    with sequence_points.json; returns the files written."""
    root = Path(root)
    out = Path(out) if out is not None else root / "plots"
    written, points = [], {}
    folders = sequence_folders(root)
    if folders:
        series, requests, notes = sequence_points(folders)
        sustainability_plot(series, out / "sustainability.png")
        points |= {"sustainability": series, "requests": requests, "notes": notes}
        written.append(out / "sustainability.png")
        if requests:  # QA requests (text requests have no per-request numbers)
            requests_plot(requests, out / "sustainability_requests.png")
            written.append(out / "sustainability_requests.png")
    tables = scaling_tables(root)
    if tables:
        points["scalability"] = scaling_points(tables)
        scaling_plot(points["scalability"], out / "scalability.png")
        written.append(out / "scalability.png")
    if written:
        write_json(out / "sequence_points.json", points)
        written.append(out / "sequence_points.json")
    return written


def report_figures(root: Path) -> tuple[list[tuple[str, str, Any]], dict[str, Any]]:
    """The report's specs (name, title, draw(table, path) -> notes) for the figures `root` allows, and the points
    they draw (table.json "sequence")."""
    specs: list[tuple[str, str, Any]] = []
    points: dict[str, Any] = {}
    folders = sequence_folders(root)
    if folders:
        series, requests, notes = sequence_points(folders)
        points |= {"sustainability": series, "requests": requests}
        specs.append(("sustainability", "Sustainability: each metric after request k, on requests 1..k",
                      lambda t, p: sustainability_plot(series, p) or notes))
        if requests:
            specs.append(("sustainability_requests", "Each request's forget ROUGE-L after later requests",
                          lambda t, p: requests_plot(requests, p) or []))
    tables = scaling_tables(root)
    if tables:
        points["scalability"] = scaling_points(tables)
        specs.append(("scalability", "Scalability: forget / utility against the forget-set size",
                      lambda t, p: scaling_plot(points["scalability"], p) or []))
    return specs, points


def sequence_report(root: str | Path, out: str | Path | None = None, force: bool = False) -> dict[str, Any]:
    """`meow report` of a folder holding only sequences / forget-size sweeps (no evaluated models): the figures,
    sequence_points.json and a report.md listing them, into OUT (default ROOT/report)."""
    from meow.io import atomic_write_text, prepare_output, staged_dir

    root = Path(root)
    out = Path(out) if out is not None else root / "report"
    prepare_output(out, kind="dir", force=force, inputs=[root], replace_ok=True, holds_outputs=[root])
    specs, points = report_figures(root)
    notes: list[str] = []
    with staged_dir(out) as tmp:
        lines = [f"# meow report: {root}", ""]
        for name, title, draw in specs:
            notes += draw({}, tmp / "plots" / f"{name}.png")
            lines += [f"## {title}", "", f"![{title}](plots/{name}.png)", ""]
        lines += [f"- note: {n}" for n in notes]
        write_json(tmp / "sequence_points.json", points)
        atomic_write_text(tmp / "report.md", "\n".join(lines) + "\n")
    files = [out / "report.md", out / "sequence_points.json", *(out / "plots" / f"{n}.png" for n, _, _ in specs)]
    return {"columns": [], "rows": [], "notes": notes, "sequence": points, "out": str(out),
            "markdown": str(out / "report.md"), "files": [str(f) for f in files]}


def only_sequences(root: Path) -> bool:
    """No evaluated models (`meow report`'s usual input) but sequence folders or forget-size sweeps."""
    has_evals = any(root.glob("evals/*/summary.json")) or any(root.glob("*/summary.json"))
    return root.is_dir() and not has_evals and bool(sequence_folders(root) or scaling_tables(root))
