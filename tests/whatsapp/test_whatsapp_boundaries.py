"""The whatsapp package imports only the checkout core of Lipa's packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"checkout", "daraja", "storage", "bot", "webhook", "lipa", "sms", "whatsapp"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_whatsapp_imports_only_checkout_and_itself() -> None:
    modules = sorted((ROOT / "whatsapp").glob("*.py"))
    assert modules
    for module in modules:
        assert imported_packages(module) & OURS <= {"checkout", "whatsapp"}, module.name
