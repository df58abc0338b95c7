"""The USSD routes: Africa's Talking's session requests and its end-of-session notices.

``POST /ussd`` gets ``sessionId, serviceCode, phoneNumber, networkCode, text`` as a form and
answers ``text/plain`` starting ``CON`` or ``END``, within a second whatever Daraja does: the
answer comes from the database alone, and a payment's push is sent after the session ended.
``POST /ussd/events`` gets the gateway's notice that a session ended, and records it.

A request has :data:`ANSWER_SECONDS` to be answered (the gateway gives up after a few seconds
anyway) and is stopped as soon as its client disconnects: a session's inputs are replayed
only while both hold.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from checkout.channels.ussd.sessions import UssdRequest, UssdService, UssdSessionEnd, UssdStopped
from webhook.mpesa import SourceCheck

log = logging.getLogger(__name__)

USSD_PATH = "/ussd"
USSD_EVENTS_PATH = "/ussd/events"
MAX_SESSION_ID = 128  # the stored column's size; Africa's Talking's ids are about 40
ANSWER_SECONDS = 5.0  # the gateway waits a few seconds for an answer, then drops the session


class UssdHandler:
    """Answers the gateway's USSD requests and records its end-of-session notices."""

    def __init__(
        self,
        service: UssdService,
        sources: SourceCheck | None = None,
        *,
        answer_seconds: float = ANSWER_SECONDS,
    ) -> None:
        self._service = service
        self._sources = sources or SourceCheck()
        self._answer_seconds = answer_seconds

    async def session(self, request: web.Request) -> web.Response:
        """Answer one step of a session."""
        self._check_source(request)
        form = await request.post()
        session_id = _field(form, "sessionId")
        phone = _field(form, "phoneNumber")
        if not session_id or not phone:
            raise web.HTTPBadRequest(text="sessionId and phoneNumber are required")
        if len(session_id) > MAX_SESSION_ID:
            raise web.HTTPBadRequest(text="sessionId is too long")
        ussd = UssdRequest(
            session_id=session_id,
            phone=phone,
            # Kept as sent: it is compared with the text answered last time.
            text=_field(form, "text", strip=False),
            service_code=_field(form, "serviceCode"),
            network_code=_field(form, "networkCode"),
        )
        try:
            answer = await self._service.answer(ussd, proceed=self._proceed(request))
        except UssdStopped:
            log.warning("USSD session %s stopped: its time ran out or its client left", session_id)
            answer = self._service.sorry()
        except Exception:
            # The customer sees a plain apology, never a gateway error screen.
            log.exception("USSD session %s failed", session_id)
            answer = self._service.sorry()
        return web.Response(text=answer.text, content_type="text/plain")

    async def events(self, request: web.Request) -> web.Response:
        """Record the gateway's notice that a session ended."""
        self._check_source(request)
        form = await request.post()
        session_id = _field(form, "sessionId")
        if not session_id or len(session_id) > MAX_SESSION_ID:
            raise web.HTTPBadRequest(text="a sessionId of at most 128 characters is required")
        await self._service.session_ended(
            UssdSessionEnd(
                session_id=session_id,
                phone=_field(form, "phoneNumber"),
                status=_field(form, "status"),
                service_code=_field(form, "serviceCode"),
                network_code=_field(form, "networkCode"),
                error=_field(form, "errorMessage") or None,
            )
        )
        return web.Response(text="OK", content_type="text/plain")

    def _proceed(self, request: web.Request) -> Callable[[], bool]:
        """Whether to go on with ``request``: its time is not up and its client is there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._answer_seconds

        def proceed() -> bool:
            transport = request.transport
            connected = transport is not None and not transport.is_closing()
            return connected and loop.time() < deadline

        return proceed

    def _check_source(self, request: web.Request) -> None:
        if not self._sources.allows(request):
            log.warning(
                "USSD request from %s, outside the allowlist, refused",
                self._sources.caller(request),
            )
            raise web.HTTPForbidden()


def _field(form: Mapping[str, object], name: str, *, strip: bool = True) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def add_ussd_routes(app: web.Application, handler: UssdHandler) -> None:
    """Add the USSD routes to ``app``."""
    app.router.add_post(USSD_PATH, handler.session)
    app.router.add_post(USSD_EVENTS_PATH, handler.events)
