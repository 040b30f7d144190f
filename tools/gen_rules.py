"""Build ``docs/rules.md``: every rule, its enforcing modules, and the tests that name it.

    python tools/gen_rules.py            # write docs/rules.md
    python tools/gen_rules.py --check    # exit 1 when docs/rules.md is not what it would write

The rule texts and their modules come from ``docs/rules_source.yaml``. Each listed module must
exist and name the rule's id in its text; otherwise the generator stops with one line per
problem (exit 2). The tests are found, not listed: every test function under ``tests/`` whose
name or docstring (or its class's) names the id (``test_b4_...``, a docstring "SPEC B4: ...") in the
sense of ``grep -iE "(\\b|_)b4(\\b|_)"``. A rule without such a test is listed as having none.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("docs") / "rules_source.yaml"
OUTPUT = Path("docs") / "rules.md"
COMMAND = "python tools/gen_rules.py"
RULE_ID = re.compile(r"^[A-Z][0-9]{1,2}$")


class RulesSourceError(Exception):
    """The source file is malformed or names modules that do not enforce the rule."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    text: str
    modules: tuple[str, ...]
    config: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    letter: str
    title: str
    intro: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class TestRef:
    path: str  # relative to the repository root, with ``/``
    name: str  # ``test_x`` or ``TestClass.test_x``


# ----------------------------------------------------------------------------- reading
def load_source(root: Path = ROOT) -> tuple[str, list[Section]]:
    """The intro and the sections of the source file, checked (``RulesSourceError``)."""
    data = YAML(typ="safe").load((root / SOURCE).read_text(encoding="utf-8"))
    sections = [_section(s) for s in data["sections"]]
    problems = _id_problems(sections) + module_problems(sections, root)
    if problems:
        raise RulesSourceError(problems)
    return str(data.get("intro", "")).strip(), sections


def _section(raw: dict) -> Section:
    rules = tuple(
        Rule(
            id=str(r["id"]),
            title=str(r["title"]),
            text=str(r["text"]).strip(),
            modules=tuple(str(m) for m in r["modules"]),
            config=str(r.get("config") or ""),
        )
        for r in raw["rules"]
    )
    return Section(
        str(raw["letter"]), str(raw["title"]), str(raw.get("intro") or "").strip(), rules
    )


def _id_problems(sections: list[Section]) -> list[str]:
    problems, seen = [], set()
    for section in sections:
        for rule in section.rules:
            if not RULE_ID.match(rule.id) or not rule.id.startswith(section.letter):
                problems.append(f"{rule.id}: not an id of section {section.letter}")
            if rule.id in seen:
                problems.append(f"{rule.id}: listed twice")
            if not rule.modules:
                problems.append(f"{rule.id}: no enforcing module listed")
            seen.add(rule.id)
    return problems


def names_id(text: str, rule_id: str) -> bool:
    """True when ``text`` names ``rule_id`` as an id (``G1`` is not named by ``G10``)."""
    return re.search(rf"(?<![A-Za-z0-9]){rule_id}(?![0-9])", text) is not None


def module_problems(sections: Iterable[Section], root: Path = ROOT) -> list[str]:
    """A listed module that does not exist, leaves the repository or does not name the id."""
    problems = []
    for section in sections:
        for rule in section.rules:
            for module in rule.modules:
                path = (root / module).resolve()
                if not path.is_relative_to(root.resolve()) or not path.is_file():
                    problems.append(f"{rule.id}: module {module} does not exist")
                elif not names_id(path.read_text(encoding="utf-8"), rule.id):
                    problems.append(f"{rule.id}: module {module} does not mention {rule.id}")
    return problems


# ----------------------------------------------------------------------------- tests
def test_pattern(rule_id: str) -> re.Pattern[str]:
    """The id as a word or between underscores, any case: ``grep -iE "(\\b|_)id(\\b|_)"``."""
    lid = re.escape(rule_id.lower())
    return re.compile(rf"(?:\b|_){lid}(?:\b|_)", re.IGNORECASE)


def test_functions(root: Path = ROOT) -> Iterator[tuple[TestRef, str]]:
    """Every test function under ``tests/`` with the text that may name a rule."""
    for path in sorted((root / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(root).as_posix()
        yield from _tests_in(tree.body, rel, prefix="", context="")


def _tests_in(body: list[ast.stmt], rel: str, prefix: str, context: str):
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            inner = f"{context}\n{node.name}\n{ast.get_docstring(node) or ''}"
            yield from _tests_in(node.body, rel, f"{prefix}{node.name}.", inner)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            text = f"{context}\n{node.name}\n{ast.get_docstring(node) or ''}"
            yield TestRef(rel, prefix + node.name), text


def tests_by_rule(rule_ids: Iterable[str], root: Path = ROOT) -> dict[str, list[TestRef]]:
    found: dict[str, list[TestRef]] = {rid: [] for rid in rule_ids}
    patterns = {rid: test_pattern(rid) for rid in found}
    for ref, text in test_functions(root):
        for rid, pattern in patterns.items():
            if pattern.search(text):
                found[rid].append(ref)
    return found


# ----------------------------------------------------------------------------- writing
def anchor(rule: Rule) -> str:
    """The GitHub anchor of the rule's heading ``### B4 Loss budget``."""
    words = re.sub(r"[^a-z0-9 -]", "", f"{rule.id} {rule.title}".lower())
    return words.replace(" ", "-")


def _link(path: str) -> str:
    return f"[`{path}`](../{path})"


def _tests_lines(tests: list[TestRef]) -> list[str]:
    if not tests:
        return ["- **Tests:** none name this rule yet."]
    lines = [f"- **Tests ({len(tests)}):**"]
    by_file: dict[str, list[str]] = {}
    for ref in tests:
        by_file.setdefault(ref.path, []).append(ref.name)
    for path, names in by_file.items():
        lines.append(f"  - {_link(path)}: " + ", ".join(f"`{n}`" for n in names))
    return lines


def _rule_lines(rule: Rule, tests: list[TestRef]) -> list[str]:
    lines = [f"### {rule.id} {rule.title}", "", rule.text, ""]
    lines.append("- **Enforced in:** " + ", ".join(_link(m) for m in rule.modules))
    if rule.config:
        lines.append(f"- **Config:** {rule.config}")
    return [*lines, *_tests_lines(tests), ""]


def _index(sections: list[Section], tests: dict[str, list[TestRef]]) -> list[str]:
    lines = ["| id | rule | tests |", "|---|---|---|"]
    for section in sections:
        for rule in section.rules:
            count = len(tests[rule.id]) or "**none**"
            lines.append(f"| [{rule.id}](#{anchor(rule)}) | {rule.title} | {count} |")
    return lines


def render(root: Path = ROOT) -> str:
    """The whole of ``docs/rules.md``."""
    intro, sections = load_source(root)
    ids = [r.id for s in sections for r in s.rules]
    tests = tests_by_rule(ids, root)
    untested = [rid for rid in ids if not tests[rid]]
    lines = [
        "# Rules",
        "",
        f"<!-- Generated by `{COMMAND}` from `{SOURCE.as_posix()}` and the test names: "
        "do not edit by hand. -->",
        "",
        f"Every rule the bot follows, with the modules that enforce it and the tests that name "
        f"it. Generated from [`rules_source.yaml`](rules_source.yaml) (the texts and modules) "
        f"and the names and docstrings of the test functions under `tests/`; regenerate with "
        f"`{COMMAND}` after changing either. CI (`python tools/check_docs.py`) fails when this "
        f"file is stale.",
        "",
        intro,
        "",
        f"{len(ids)} rules; {len(ids) - len(untested)} named by at least one test"
        + (f"; none yet for {', '.join(untested)}." if untested else "."),
        "",
        *_index(sections, tests),
        "",
    ]
    for section in sections:
        lines += [f"## {section.letter}. {section.title}", ""]
        if section.intro:
            lines += [section.intro, ""]
        for rule in section.rules:
            lines += _rule_lines(rule, tests[rule.id])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/rules.md is stale")
    args = parser.parse_args(argv)
    try:
        text = render(ROOT)
    except RulesSourceError as e:
        for problem in e.problems:
            print(f"{SOURCE}: {problem}", file=sys.stderr)
        return 2
    out = ROOT / OUTPUT
    if args.check:
        fresh = out.exists() and out.read_text(encoding="utf-8") == text
        print(f"{OUTPUT} is {'fresh' if fresh else f'stale: run `{COMMAND}`'}")
        return 0 if fresh else 1
    out.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
