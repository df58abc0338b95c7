"""Every benchmark in ``bench/`` imports and answers ``--help``.

The benchmarks are not type-checked with the packages and run only by hand, so a moved import
(a fake that left ``lipa_testing``'s re-exports, say) would otherwise be found only by the next
person who measures. This runs no benchmark: it only loads each and asks for its usage.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
MODULES = sorted(path.stem for path in BENCH.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_the_benchmark_module_imports(name: str) -> None:
    importlib.import_module(f"bench.{name}")


def _runnable(name: str) -> bool:
    source = (BENCH / f"{name}.py").read_text(encoding="utf-8")
    return 'if __name__ == "__main__":' in source and "argparse" in source


@pytest.mark.parametrize("name", [name for name in MODULES if _runnable(name)])
def test_the_benchmark_answers_help(name: str) -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter on our own modules
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
