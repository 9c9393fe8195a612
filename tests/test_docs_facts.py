"""docs/facts.md is cited by section heading; every cited heading must exist.

Citations look like ``(docs/facts.md "Pricing")`` or span a comment line break
(``(docs/facts.md,\\n# "Permissions for the first pull")``).  A heading renamed in the
document, or a typo in a citation, fails here with the file that cites it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "docs" / "facts.md"

# The path, optional closing backticks, then separators (comma, spaces, newlines, comment
# markers) and the quoted heading.
CITATION = re.compile(r'docs/facts\.md`*[,\s#]*"([^"]+)"')
SCANNED = ("ecr", "tests", "bench", "scripts")


def headings() -> list[str]:
    return [line.lstrip("#").strip() for line in FACTS.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")]


def citations(text: str) -> list[str]:
    """Cited headings, with line breaks (and a comment's ``#`` after them) read as spaces."""
    return [re.sub(r"\s*\n\s*#?\s*", " ", match).strip() for match in CITATION.findall(text)]


def cited_in_repository() -> list[tuple[str, str]]:
    paths = [ROOT / "README.md", ROOT / "__main__.py",
             *(p for p in sorted((ROOT / "docs").glob("*.md")) if p != FACTS)]
    for folder in SCANNED:
        paths += [p for p in sorted((ROOT / folder).rglob("*"))
                  if p.is_file() and p.suffix in {".py", ".md", ".sh", ""}
                  and "__pycache__" not in p.parts and p != Path(__file__).resolve()]
    found = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(path.relative_to(ROOT).as_posix(), cited) for cited in citations(text)]
    return found


def resolves(cited: str, available: list[str]) -> bool:
    """A citation names a heading, or the start of one ("Helm charts" for "Helm charts and ...")."""
    return any(heading == cited or heading.startswith(cited + " ") for heading in available)


def test_the_code_cites_sections() -> None:
    assert cited_in_repository(), "no citation found: the pattern no longer matches the code"


@pytest.mark.parametrize(("path", "cited"), cited_in_repository())
def test_cited_heading_exists(path: str, cited: str) -> None:
    assert resolves(cited, headings()), (
        f'{path} cites docs/facts.md "{cited}", which has no such heading; '
        f"headings: {headings()}")


def test_citation_forms() -> None:
    text = '\n'.join([
        'DEFAULT_PRICE = 0.10  # (docs/facts.md "Pricing")',
        '# needs (docs/facts.md,',
        '# "Permissions for the first',
        '# pull"), and',
        'relocating images (``docs/facts.md`` "Helm charts"):',
        'see ``docs/facts.md``.',
    ])
    assert citations(text) == ["Pricing", "Permissions for the first pull", "Helm charts"]
    assert resolves("Helm charts", ["Helm charts and the cache"])
    assert not resolves("Helm chart", ["Helm charts and the cache"])
    assert not resolves("Prices", ["Pricing"])
