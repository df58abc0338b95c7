"""deploy/lipa.service: a valid unit that runs the real ``lipa`` CLI, hardened."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lipa.cli import build_parser
from tests.deploy.conftest import ROOT

UNIT = ROOT / "deploy" / "lipa.service"
# Where the unit expects the project's virtualenv (the README's "Deploying" installs it there).
INSTALLED_VENV = "/opt/lipa/.venv"


def unit() -> configparser.ConfigParser:
    """The unit file as sections of keys (repeated keys keep their last value)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def commands(key: str) -> list[list[str]]:
    """Every command line of ``key`` (ExecStart, ExecStartPre) in the unit, split."""
    return [
        shlex.split(line.split("=", 1)[1])
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


def test_the_unit_starts_lipa_serve_through_the_projects_console_script() -> None:
    (serve,) = commands("ExecStart")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert serve[0] == f"{INSTALLED_VENV}/bin/lipa"
    assert Path(serve[0]).name in scripts
    assert serve[1:] == ["serve"]
    # The arguments are ones the real CLI accepts.
    assert build_parser().parse_args(serve[1:]).command == "serve"


def test_the_unit_migrates_before_it_serves() -> None:
    (migrate,) = commands("ExecStartPre")
    assert migrate == [f"{INSTALLED_VENV}/bin/lipa", "migrate"]
    assert build_parser().parse_args(migrate[1:]).command == "migrate"


def test_the_unit_runs_unprivileged_and_hardened() -> None:
    service = unit()["Service"]
    assert service["User"] == "lipa"
    assert service["EnvironmentFile"] == "/etc/lipa/lipa.env"
    assert service["WorkingDirectory"] == "/var/lib/lipa"
    assert service["StateDirectory"] == "lipa"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native",
        "UMask": "0077",
    }.items():
        assert service[key] == value, key
    # A configuration error (exit 2) is not retried in a loop.
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"


def test_systemd_analyze_verifies_the_unit_with_no_warning(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the unit is still parsed by the tests)")
    # systemd checks that the commands exist: point them at this checkout's virtualenv.
    venv = str(Path(sys.executable).parent.parent)
    text = UNIT.read_text(encoding="utf-8").replace(INSTALLED_VENV, venv)
    copy = tmp_path / "lipa.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys and misplaced options are only warnings: none is allowed either.
    assert result.stderr.strip() == "", result.stderr
