"""``tools/gen_rules.py``: the rule → module → tests index of docs/rules.md (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tools import gen_rules

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "SPEC.md"

SOURCE = """\
intro: The intro.
sections:
  - letter: G
    title: Orders
    rules:
      - id: G1
        title: Ids
        text: The id rule.
        modules: [src/ids.py]
      - id: G10
        title: Fees
        text: The fee rule.
        modules: [src/fees.py]
        config: "`x.yaml`: `k`"
      - id: G2
        title: Idempotency
        text: Sent once.
        modules: [src/ids.py]
"""

TESTS = '''\
def test_g1_id_is_short():
    pass


def test_fee_ratio():
    """SPEC G10: a spike above 1.5."""


def test_G10_upper_case_name():
    pass


class TestIds:
    """G1 for every role."""

    def test_alphabet(self):
        pass


def helper_g1():
    pass
'''


def _repo(tmp_path: Path, source: str = SOURCE, ids_text: str = "# G1 and G2 here\n") -> Path:
    root = tmp_path / "repo"
    for rel, text in {
        "docs/rules_source.yaml": source,
        "src/ids.py": ids_text,
        "src/fees.py": "RATIO = 1.5  # G10\n",
        "tests/unit/test_orders.py": TESTS,
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_tests_are_found_by_name_or_docstring_and_g1_is_not_named_by_g10(tmp_path):
    root = _repo(tmp_path)

    found = gen_rules.tests_by_rule(["G1", "G10", "G2"], root)

    names = {rid: [t.name for t in refs] for rid, refs in found.items()}
    assert names == {
        "G1": ["test_g1_id_is_short", "TestIds.test_alphabet"],
        "G10": ["test_fee_ratio", "test_G10_upper_case_name"],
        "G2": [],
    }
    assert {t.path for refs in found.values() for t in refs} == {"tests/unit/test_orders.py"}


def test_the_index_lists_modules_config_tests_and_rules_without_a_test(tmp_path):
    text = gen_rules.render(_repo(tmp_path))

    assert "3 rules; 2 named by at least one test; none yet for G2." in text
    assert (
        "| [G10](#g10-fees) | Fees | 2 |" in text
        and "| [G2](#g2-idempotency) | Idempotency | **none** |" in text
    )
    g10 = text[text.index("### G10 Fees") : text.index("### G2 Idempotency")]
    assert "- **Enforced in:** [`src/fees.py`](../src/fees.py)" in g10
    assert "- **Config:** `x.yaml`: `k`" in g10
    assert (
        "  - [`tests/unit/test_orders.py`](../tests/unit/test_orders.py): "
        "`test_fee_ratio`, `test_G10_upper_case_name`"
    ) in g10
    assert "- **Tests:** none name this rule yet." in text[text.index("### G2 Idempotency") :]


def test_a_listed_module_that_does_not_exist_stops_the_generator(tmp_path):
    root = _repo(tmp_path, SOURCE.replace("[src/fees.py]", "[src/gone.py]"))

    with pytest.raises(gen_rules.RulesSourceError) as raised:
        gen_rules.render(root)

    assert raised.value.problems == ["G10: module src/gone.py does not exist"]


def test_a_module_that_does_not_name_the_rule_stops_the_generator(tmp_path):
    # src/ids.py says G10 and G20, never G1 or G2 on their own
    root = _repo(tmp_path, ids_text="# G10, G20\n")

    with pytest.raises(gen_rules.RulesSourceError) as raised:
        gen_rules.load_source(root)

    assert raised.value.problems == [
        "G1: module src/ids.py does not mention G1",
        "G2: module src/ids.py does not mention G2",
    ]


def test_a_module_path_leaving_the_repository_is_refused(tmp_path):
    (tmp_path / "outside.py").write_text("# G10\n", encoding="utf-8")
    root = _repo(tmp_path, SOURCE.replace("[src/fees.py]", "[../outside.py]"))

    with pytest.raises(
        gen_rules.RulesSourceError, match="G10: module ../outside.py does not exist"
    ):
        gen_rules.load_source(root)


def test_the_check_mode_says_stale_until_the_file_is_written(tmp_path, monkeypatch, capsys):
    root = _repo(tmp_path)
    monkeypatch.setattr(gen_rules, "ROOT", root)

    assert gen_rules.main(["--check"]) == 1
    assert gen_rules.main([]) == 0
    assert gen_rules.main(["--check"]) == 0
    assert (root / "docs" / "rules.md").read_text(encoding="utf-8") == gen_rules.render(root)
    assert "stale: run `python tools/gen_rules.py`" in capsys.readouterr().out


def test_the_repository_source_covers_every_rule_once_and_its_modules_check():
    _, sections = gen_rules.load_source(REPO)  # raises when a module is missing or silent

    ids = [r.id for s in sections for r in s.rules]
    assert len(ids) == len(set(ids)) == 54
    assert [s.letter for s in sections] == list("ABCDEFGHI")
    if SPEC.is_file():  # the product specification, where this checkout has it beside it
        spec_ids = re.findall(r"^- \*\*([A-I][0-9]+)\*\*", SPEC.read_text(encoding="utf-8"), re.M)
        assert ids == spec_ids
