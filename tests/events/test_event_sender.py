"""Each event POST is signed over its timestamp and body; refusals become retry decisions."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from checkout.domain.records import Channel
from checkout.outbox.ports import DeliveryFailed
from webhook.events import EventWebhookSender, event_body

SECRET = "event-secret-for-tests-0123"
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
URL = "https://platform.example/hooks/lipa?token=abc"
EVENT = {
    "id": "evt_0123",
    "type": "payment.settled",
    "created_at": "2026-11-28T09:00:00+00:00",
    "data": {"payment": {"id": 7, "amount": 1500, "status": "paid"}},
}


class Platform:
    """Answers each POST with the next scripted response and keeps the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else httpx.Response(200)
        if isinstance(answer, Exception):
            raise answer
        return answer


def sender(platform: Platform, urls: tuple[str, ...] = (URL,)) -> EventWebhookSender:
    client = httpx.AsyncClient(transport=httpx.MockTransport(platform))
    return EventWebhookSender(client, SECRET, urls, now=lambda: 1_764_316_800.7)


async def send(platform: Platform, payload: dict[str, Any] | None = None) -> None:
    await sender(platform).send(
        Channel.EVENTS, "k1", payload if payload is not None else {"url": URL, "event": EVENT}
    )


async def test_the_post_carries_the_event_and_a_signature_a_receiver_can_check() -> None:
    platform = Platform(httpx.Response(204))
    await send(platform)
    (request,) = platform.requests
    assert str(request.url) == URL
    assert json.loads(request.content) == EVENT
    assert request.headers["Lipa-Event-Id"] == "evt_0123"
    assert request.headers["Lipa-Event-Type"] == "payment.settled"
    assert request.headers["Lipa-Timestamp"] == "1764316800"
    expected = hmac.new(
        SECRET.encode(), b"1764316800." + request.content, hashlib.sha256
    ).hexdigest()
    assert request.headers["Lipa-Signature"] == f"v1={expected}"
    assert request.headers["Content-Type"] == "application/json"


def test_the_body_is_the_same_bytes_every_time() -> None:
    shuffled = dict(reversed(list(EVENT.items())))
    assert event_body(EVENT) == event_body(shuffled)


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [
        (httpx.Response(500), 0.0),
        (httpx.Response(400), 0.0),
        (httpx.Response(302, headers={"Location": "https://elsewhere.example"}), 0.0),
        (httpx.Response(429, headers={"Retry-After": "30"}), 30.0),
        (httpx.Response(503, headers={"Retry-After": "86400"}), 3600.0),
        (httpx.Response(503, headers={"Retry-After": "soon"}), 0.0),
    ],
)
async def test_any_answer_but_2xx_is_retried_honouring_retry_after(
    answer: httpx.Response, retry_after: float
) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await send(Platform(answer))
    assert failure.value.retry_after == retry_after
    assert "platform.example" not in failure.value.detail  # URLs may carry tokens


async def test_a_retry_after_date_is_turned_into_seconds() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    with pytest.raises(DeliveryFailed) as failure:
        await send(Platform(httpx.Response(503, headers={"Retry-After": later})))
    assert failure.value.retry_after is not None
    assert 100 < failure.value.retry_after <= 120


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
async def test_a_receiver_that_cannot_be_reached_is_retried(error: Exception) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await send(Platform(error))
    assert failure.value.retry_after == 0.0


async def test_a_receiver_removed_from_the_settings_is_given_up() -> None:
    platform = Platform()
    with pytest.raises(DeliveryFailed) as failure:
        await send(platform, {"url": "https://old.example/hook", "event": EVENT})
    assert failure.value.retry_after is None
    assert platform.requests == []


async def test_a_payload_that_is_not_an_event_is_given_up() -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await send(Platform(), {"text": "hello"})
    assert failure.value.retry_after is None


async def test_the_readme_verification_accepts_our_posts_and_refuses_tampering() -> None:
    (snippet,) = [
        block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "def verify" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    verify = namespace["verify"]
    platform = Platform()
    client = httpx.AsyncClient(transport=httpx.MockTransport(platform))
    await EventWebhookSender(client, SECRET, (URL,)).send(
        Channel.EVENTS, "k1", {"url": URL, "event": EVENT}
    )
    (request,) = platform.requests
    assert verify(SECRET.encode(), request.headers, request.content)
    assert not verify(b"another-secret", request.headers, request.content)
    assert not verify(SECRET.encode(), request.headers, request.content.replace(b"1500", b"1501"))
    stale = {**request.headers, "Lipa-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(SECRET.encode(), stale, request.content)
