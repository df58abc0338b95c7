"""deploy/Caddyfile: valid for Caddy, and the header it sets is the one Lipa is told to trust.

Caddy itself proxies to the real service here: a caller who forges the trusted header is
still seen at the address Caddy saw, so the callback allowlist cannot be walked around.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from tests.deploy.conftest import ROOT, StartService, tool
from webhook.mpesa import callback_path

CADDYFILE = ROOT / "deploy" / "Caddyfile"
SAFARICOM = "196.201.214.200"  # one of Safaricom's published callback sources
CALLBACK_SECRET = "callback-secret-for-tests"


def trusted_header_setting() -> str:
    """The MPESA_CALLBACK_TRUSTED_HEADER value the Caddyfile tells operators to set."""
    found = re.search(r"MPESA_CALLBACK_TRUSTED_HEADER=(\S+)", CADDYFILE.read_text("utf-8"))
    assert found is not None
    return found.group(1)


def header_caddy_sets() -> str:
    """The request header Caddy sets to the caller's address for Lipa."""
    found = re.search(r"header_up\s+(\S+)\s+\{remote_host\}", CADDYFILE.read_text("utf-8"))
    assert found is not None
    return found.group(1)


def caddy_env(tmp_path: Path) -> dict[str, str]:
    # Caddy keeps certificates and its autosaved config under these: not in the real home.
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def test_the_caddyfile_proxies_to_lipa_with_automatic_https() -> None:
    text = CADDYFILE.read_text("utf-8")
    site = re.search(r"^(\S+) \{$", text, re.MULTILINE)
    assert site is not None
    # A bare host name (no http://, no port) is what makes Caddy fetch and renew certificates.
    assert site.group(1) == "{$LIPA_DOMAIN:pay.example.co.ke}"
    assert "reverse_proxy 127.0.0.1:8080" in text
    assert Settings.model_fields["port"].default == 8080


def test_the_trusted_header_setting_names_the_header_caddy_sets() -> None:
    assert trusted_header_setting() == header_caddy_sets()
    compose = (ROOT / "compose.yaml").read_text("utf-8")
    assert f"MPESA_CALLBACK_TRUSTED_HEADER: {header_caddy_sets()}" in compose


def test_caddy_validates_the_caddyfile(tmp_path: Path) -> None:
    caddy = tool("caddy")
    result = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=caddy_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


@contextlib.contextmanager
def caddy_in_front(tmp_path: Path, lipa_port: int) -> Iterator[int]:
    """Run the Caddyfile's proxy block over plain http on a free port, in front of Lipa."""
    caddy = tool("caddy")
    port = free_port()
    text = CADDYFILE.read_text("utf-8")
    text = text.replace("{$LIPA_DOMAIN:pay.example.co.ke}", f"http://127.0.0.1:{port}")
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{lipa_port}")
    config = tmp_path / "Caddyfile"
    config.write_text("{\n\tadmin off\n}\n\n" + text, encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603 - a fixed tool on our own file
        [caddy, "run", "--adapter", "caddyfile", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=caddy_env(tmp_path),
    )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


async def wait_until_up(url: str) -> None:
    async with asyncio.timeout(10), aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)


@pytest.fixture
async def allowlisting_service(start_service: StartService, sqlite_url: str) -> Service:
    """Lipa allowing callbacks only from Safaricom's address, trusting the Caddyfile's header."""
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        api_token="orders-api-token-for-tests",
        mpesa_environment="simulator",
        mpesa_callback_secret=CALLBACK_SECRET,
        mpesa_callback_allowed_ips=SAFARICOM,
        mpesa_callback_trusted_header=trusted_header_setting(),
        host="127.0.0.1",
        port=port,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    return await start_service(settings)


@pytest.fixture
async def proxied(allowlisting_service: Service, tmp_path: Path) -> AsyncIterator[str]:
    """The base URL of Caddy in front of the service."""
    assert allowlisting_service.port is not None
    with caddy_in_front(tmp_path, allowlisting_service.port) as port:
        base = f"http://127.0.0.1:{port}"
        await wait_until_up(base + "/healthz")
        yield base


async def post_callback(base: str, forged_source: str) -> int:
    """POST an (empty) callback claiming to come from ``forged_source``; the status."""
    headers = {header_caddy_sets(): forged_source}
    async with (
        aiohttp.ClientSession() as http,
        http.post(base + callback_path(CALLBACK_SECRET), json={}, headers=headers) as response,
    ):
        return response.status


async def test_behind_caddy_a_forged_source_header_does_not_pass_the_allowlist(
    proxied: str, allowlisting_service: Service
) -> None:
    # Through Caddy the header says 127.0.0.1 (where the test is), whatever the caller sent.
    assert await post_callback(proxied, SAFARICOM) == 403
    # Straight to Lipa the header is believed (so Lipa listens on 127.0.0.1 only): the
    # allowlist passes and the empty body is refused as malformed.
    assert await post_callback(allowlisting_service.base_url, SAFARICOM) == 400
