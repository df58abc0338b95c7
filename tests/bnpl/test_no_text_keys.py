"""The plan area decides and the plans' presenter speaks: no text key is written in
checkout/bnpl (the keys are chosen in checkout.i18n.plans)."""

from __future__ import annotations

import ast
from pathlib import Path

from checkout.bnpl.rules import Refusal, Retry
from checkout.domain.outcomes import ChangeAnswer, PlanAnswer
from checkout.i18n.plans import words
from checkout.i18n.plans.labels import PlanButton, label
from checkout.i18n.texts import TEXTS

BNPL = Path(__file__).resolve().parents[2] / "checkout" / "bnpl"

# The prefixes of the plans' texts: a string that starts so names a text.
_PREFIXES = ("plan_", "plans_", "button_", "staff_plan")


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module (f-strings' fixed parts too), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_checkout_bnpl_names_no_text_of_the_catalogue() -> None:
    # Keys of two words or more: a one-word key ("cancelled") is also a status's value.
    keys = {key for key in TEXTS["en"] if "_" in key}
    found = [
        (path.relative_to(BNPL).as_posix(), line, value)
        for path in sorted(BNPL.rglob("*.py"))
        for line, value in _strings(path)
        if value in keys or value.startswith(_PREFIXES)
    ]
    assert found == []


def test_the_test_above_finds_a_key_where_one_is_written(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('KEY = "plan_overdue"\nOTHER = f"plan_refused_{1}"\n', encoding="utf-8")
    assert [value for _, value in _strings(module)] == ["plan_overdue", "plan_refused_"]


def test_every_outcome_of_the_plan_rules_has_its_words() -> None:
    for language in ("en", "sw"):
        for reason in Refusal:
            assert words.refusal_text(language, reason.value, order="WW-1", minimum=1, limit=1)
        for kind in Retry:
            assert words.retry_extra(language, kind.value, hour=10)
        for answer in PlanAnswer:
            assert words.answer_text(language, answer)
        for change in ChangeAnswer:
            assert words.change_answer_text(language, change)
        for button in PlanButton:
            assert label(language, button)
