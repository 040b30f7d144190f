"""``tools/check_docs.py``: relative links in README.md and docs/ resolve inside the repository,
and generated documents are fresh (issue 12)."""

from __future__ import annotations

from pathlib import Path

from tools import check_docs


def _repo(tmp_path: Path, readme: str, doc: str) -> Path:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "README.md").write_text(readme, encoding="utf-8")
    (root / "docs" / "guide.md").write_text(doc, encoding="utf-8")
    (root / "docs" / "other.md").write_text("# other\n", encoding="utf-8")
    return root


def test_a_link_to_a_missing_file_and_a_link_leaving_the_repository_are_both_reported(tmp_path):
    outside = tmp_path / "shared" / "SPEC.md"  # exists on this machine, but not in the repo
    outside.parent.mkdir()
    outside.write_text("# spec\n", encoding="utf-8")
    root = _repo(
        tmp_path,
        readme="See [the guide](docs/guide.md) and [the spec](../shared/SPEC.md).\n",
        doc="# guide\n\nLine two links [nothing](missing.md#part).\n",
    )

    problems = check_docs.link_problems(root)

    assert problems == [
        "README.md:1: link '../shared/SPEC.md' leaves the repository",
        "docs/guide.md:3: link 'missing.md#part' points at nothing",
    ]


def test_links_that_resolve_urls_anchors_and_fenced_code_are_not_reported(tmp_path):
    root = _repo(
        tmp_path,
        readme="[guide](docs/guide.md) [web](https://example.org/x.md) [top](#top)\n"
        '![img](docs/other.md "title")\n',
        doc="[back](../README.md) [dir](.) [other](other.md#heading)\n"
        "```\n[not a link](nowhere.md)\n```\n",
    )

    assert check_docs.link_problems(root) == []


def test_a_stale_generated_doc_and_a_generator_that_fails_are_reported(tmp_path, monkeypatch):
    fresh, stale, broken = (tmp_path / n for n in ("fresh.md", "stale.md", "broken.md"))
    fresh.write_text("now\n", encoding="utf-8")
    stale.write_text("old\n", encoding="utf-8")

    def cannot() -> str:
        raise ValueError("rules source names a module that does not exist")

    monkeypatch.setattr(check_docs, "ROOT", tmp_path)
    monkeypatch.setattr(
        check_docs,
        "generated",
        lambda: {
            fresh: (lambda: "now\n", "gen fresh"),
            stale: (lambda: "now\n", "gen stale"),
            broken: (cannot, "gen broken"),
        },
    )

    assert check_docs.stale_problems() == [
        "stale.md is stale: regenerate it with `gen stale`",
        "broken.md cannot be generated: rules source names a module that does not exist",
    ]


def test_rules_md_is_one_of_the_generated_documents():
    docs = check_docs.generated()

    build, how = docs[check_docs.ROOT / "docs" / "rules.md"]
    assert how == "python tools/gen_rules.py"
    assert build().startswith("# Rules\n")
