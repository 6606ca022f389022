"""Docs the code cites live in the repository: every `docs/<file>.md` named in src, tests, bench, scripts or the
docs exists, every "docs/method.md section N" has a section N, and nothing cites a file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITE = re.compile(r"docs/([\w-]+\.md)(?: section (\d+))?")


def texts() -> dict[Path, str]:
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for folder in ("src", "tests", "bench", "scripts"):
        files += (ROOT / folder).rglob("*.py")
    return {f: f.read_text(encoding="utf-8") for f in files}


def test_cited_docs_and_sections_exist():
    bad = []
    for f, text in texts().items():
        for name, section in CITE.findall(text):
            doc = ROOT / "docs" / name
            if not doc.is_file():
                bad.append(f"{f.relative_to(ROOT)}: docs/{name} does not exist")
            elif section and not re.search(rf"^## {section}\. ", doc.read_text(encoding="utf-8"), re.M):
                bad.append(f"{f.relative_to(ROOT)}: docs/{name} has no section {section}")
    assert not bad, "\n".join(bad)


def test_no_citation_outside_the_repository():
    me = Path(__file__).resolve()
    bad = [f"{f.relative_to(ROOT)}: {m}" for f, text in texts().items() if f != me
           for m in re.findall(r"\bMETHOD\.md\b|\bARCHITECTURE\.md\b|/work/shared", text)]
    assert not bad, "\n".join(bad)
