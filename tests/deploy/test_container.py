"""Dockerfile and compose.yaml: the image installs and runs the real CLI as a non-root user;
compose migrates once, then serves, with health checks that work against the real service.

The image itself is built and run by ``.ci/docker-smoke`` (where a Docker daemon runs; CI runs
it after the tests), so here the files are checked by reading them and by running their health
checks against the service; ``docker compose config`` runs where Docker Compose is installed.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from lipa.cli import build_parser
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from tests.deploy.conftest import ROOT, StartService

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), as (KEYWORD, arguments)."""
    joined = DOCKERFILE.read_text("utf-8").replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            found.append((keyword.upper(), " ".join(arguments.split())))
    return found


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))
    return document


async def healthcheck_exit_status(command: list[str], port: int) -> int:
    """Run a health check's command (its python, here) against ``port``; its exit status.

    Run without blocking: the service answering it lives in this test's event loop.
    """
    assert command[0] == "python"
    code = command[-1].replace("8080", str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:-1],
        code,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={"PORT": str(port)},
    )
    async with asyncio.timeout(30):
        return await process.wait()


@pytest.fixture
async def service(start_service: StartService, sqlite_url: str) -> Service:
    port = free_port()
    return await start_service(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=sqlite_url,
            api_token="orders-api-token-for-tests",
            mpesa_environment="simulator",
            host="127.0.0.1",
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
        )
    )


def test_the_image_is_python_3_11_slim_and_runs_as_a_user_of_its_own() -> None:
    steps = instructions()
    # python:3.11-slim unless the build is given another base (CI's, made from Debian's mirror).
    assert steps[0] == ("ARG", "PYTHON_IMAGE=python:3.11-slim")
    assert steps[1] == ("FROM", "${PYTHON_IMAGE}")
    assert [keyword for keyword, _ in steps].count("FROM") == 1
    users = [arguments for keyword, arguments in steps if keyword == "USER"]
    assert users == ["lipa"]
    keywords = [keyword for keyword, _ in steps]
    # Installed as root, run as the user.
    install = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "pip install ." in a)
    assert install < keywords.index("USER")
    assert any("useradd --system" in a for k, a in steps if k == "RUN")


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    copied = {
        arguments.split()[0]
        for keyword, arguments in instructions()
        if keyword == "COPY" and arguments.split()[0] in packages
    }
    assert copied == packages
    copies = [arguments for keyword, arguments in instructions() if keyword == "COPY"]
    # The build needs the project's metadata and the readme it names.
    assert "pyproject.toml README.md ./" in copies


def test_the_image_runs_lipa_serve() -> None:
    steps = dict(instructions())
    entrypoint = json.loads(steps["ENTRYPOINT"])
    command = json.loads(steps["CMD"])
    assert entrypoint == ["lipa"]
    assert build_parser().parse_args(command).command == "serve"
    environment = dict(item.split("=", 1) for item in shlex.split(steps["ENV"]) if "=" in item)
    assert environment["HOST"] == "0.0.0.0"
    assert environment["DATABASE_URL"].startswith("sqlite+aiosqlite:////var/lib/lipa/")


async def test_the_images_health_check_passes_on_a_running_service_and_fails_without(
    service: Service,
) -> None:
    healthcheck = next(a for k, a in instructions() if k == "HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert service.port is not None
    assert await healthcheck_exit_status(command, service.port) == 0
    assert await healthcheck_exit_status(command, free_port()) != 0


def test_compose_migrates_once_before_lipa_starts() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "lipa"}
    migrate, lipa = services["migrate"], services["lipa"]
    assert build_parser().parse_args(migrate["command"]).command == "migrate"
    assert migrate["restart"] == "no"
    assert build_parser().parse_args(lipa["command"]).command == "serve"
    assert lipa["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("migrate", "lipa"):
        assert services[name]["build"] == "."
        assert services[name]["environment"]["DATABASE_URL"].startswith(
            "postgresql+asyncpg://lipa:"
        )
        assert services[name]["environment"]["DATABASE_URL"].endswith("@postgres:5432/lipa")


def test_compose_settings_are_lipas_own_and_valid() -> None:
    environment = {
        key: str(value).replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "s3cret")
        for key, value in compose()["services"]["lipa"]["environment"].items()
    }
    assert {key.lower() for key in environment} <= set(Settings.model_fields)
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in environment.items()})  # type: ignore[call-arg]
    assert settings.port == 8080
    # Published on the host's loopback only: the reverse proxy is the way in.
    assert compose()["services"]["lipa"]["ports"] == ["127.0.0.1:8080:8080"]


async def test_compose_health_checks_work(service: Service) -> None:
    services = compose()["services"]
    assert services["postgres"]["healthcheck"]["test"][:2] == [
        "CMD-SHELL",
        "pg_isready -U lipa -d lipa",
    ]
    command = services["lipa"]["healthcheck"]["test"]
    assert command[0] == "CMD"
    assert service.port is not None
    assert await healthcheck_exit_status(command[1:], service.port) == 0
    assert await healthcheck_exit_status(command[1:], free_port()) != 0


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(  # noqa: S603 - a fixed tool
            [docker, "compose", "version"], capture_output=True, check=False, timeout=30
        ).returncode
        != 0
    ):
        pytest.skip("Docker Compose is not installed (compose.yaml is still read by the tests)")
    (tmp_path / ".env").write_text("", encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        [
            docker,
            "compose",
            "-f",
            str(COMPOSE),
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(tmp_path / ".env"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"POSTGRES_PASSWORD": "s3cret", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr


def test_the_image_smoke_test_skips_with_its_reason_where_no_docker_daemon_answers(
    tmp_path: Path,
) -> None:
    script = ROOT / ".ci" / "docker-smoke"
    result = subprocess.run(  # noqa: S603 - our own script
        [str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DOCKER_HOST": f"unix://{tmp_path / 'no-daemon.sock'}",
        },
    )
    assert result.returncode == 77, result.stdout + result.stderr
    has_docker = shutil.which("docker", path="/usr/local/bin:/usr/bin:/bin") is not None
    reason = "no Docker daemon answers" if has_docker else "the docker command is not installed"
    assert "SKIPPED: " in result.stdout
    assert reason in result.stdout
