"""Check the project's documents: generated files are fresh, and every relative link resolves.

Run from the repository root (CI does: ``python tools/check_docs.py``). Exit 0 when all is
well, 1 with one line per problem otherwise.

- ``docs/state-machine.md`` must equal ``accountbuilder diagram --format md`` (the machines).
- ``docs/rules.md`` must equal what ``python tools/gen_rules.py`` writes (the rule texts of
  ``docs/rules_source.yaml``, their modules, and the tests that name each rule).
- Every relative link in ``README.md`` and ``docs/**/*.md`` (``[text](target)``, images too)
  must point at a file or directory inside the repository; links that leave the repository
  (``../shared`` …) are refused even when the target exists on this machine.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def markdown_files(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every markdown link outside fenced code blocks."""
    found, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if fenced:
            continue
        found += [(number, m.group(1)) for m in LINK.finditer(line)]
    return found


def link_problems(root: Path = ROOT) -> list[str]:
    """One line per relative link that points at nothing or leaves ``root``."""
    problems = []
    for path in markdown_files(root):
        for number, target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL (https:, mailto:) or an anchor in the same page
            file_part = target.split("#", 1)[0]
            resolved = (path.parent / file_part).resolve()
            where = f"{path.relative_to(root)}:{number}"
            if not resolved.is_relative_to(root.resolve()):
                problems.append(f"{where}: link {target!r} leaves the repository")
            elif not resolved.exists():
                problems.append(f"{where}: link {target!r} points at nothing")
    return problems


def stale_problems() -> list[str]:
    problems = []
    for doc, (build, how) in generated().items():
        name = doc.relative_to(ROOT)
        try:
            text = build()
        except Exception as e:  # a generator that cannot run is a problem to report, not a crash
            problems.append(f"{name} cannot be generated: {e}")
            continue
        if not doc.exists() or doc.read_text(encoding="utf-8") != text:
            problems.append(f"{name} is stale: regenerate it with `{how}`")
    return problems


def generated() -> dict[Path, tuple[Callable[[], str], str]]:
    """Every generated document: how to build its text now, and the command that writes it."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "runner"), str(ROOT / "tools")]
    import gen_architecture
    import gen_rules

    from accountbuilder.machines.diagram import state_machine_doc

    return {
        ROOT / "docs" / "state-machine.md": (
            state_machine_doc,
            "accountbuilder diagram --format md --out docs/state-machine.md",
        ),
        ROOT / gen_rules.OUTPUT: (gen_rules.render, gen_rules.COMMAND),
        ROOT / gen_architecture.OUTPUT: (gen_architecture.render, gen_architecture.COMMAND),
    }


def main() -> int:
    problems = link_problems() + stale_problems()
    for problem in problems:
        print(problem)
    if not problems:
        print(
            f"docs: {len(markdown_files())} files, every relative link resolves, generated files fresh"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
