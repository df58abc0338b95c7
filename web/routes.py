"""The web checkout's routes (aiohttp): the order page, paying, live status, receipts.

``GET /pay/<reference>`` shows the order and the state of its latest payment; ``POST`` to
the same address pays through the chat's payment service and answers with a redirect back
(post, redirect, get: the page then follows the payment itself). With JavaScript the page
follows ``/pay/<reference>/events`` (Server-Sent Events) or polls ``/pay/<reference>/status``
every 3 s; without it, a page with a pending payment refreshes itself every 3 s.
An order with an open plan shows its schedule, and the plan's buttons post to
``/pay/<reference>/installment``: the plan desk pushes, and the page follows that payment.
``GET /receipts/<token>`` serves a paid payment's PDF receipt. Anything not found, expired
or refused gets a plain page in the customer's language, never an error page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, Final

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_sse import sse_response

from checkout.domain.records import Language, Order, OrderStatus, PaymentStatus
from checkout.i18n.chat import sorry_text
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.i18n.payments.messages import order_paid_reply
from checkout.i18n.payments.order_closed import order_cancelled, order_cancelled_title
from checkout.i18n.payments.ways_out import cancel_hold_text, other_way_text
from web.live import PaymentWatch
from web.payment_page import FieldErrors, OrderPage, WebCheckout
from web.plan_view import plan_section
from web.plans import PlanPage, WebPlans, choice_of
from web.presenter import State, balance_text, status_view
from web.receipt_pdf import render_receipt
from web.security import SECURITY_HEADERS, AddressLimiter, FormTokens, client_address
from web.security import security_headers as security_middleware
from web.texts import WEB_TEXTS, accepted_language, as_language, w

log = logging.getLogger(__name__)

PAY_PATH: Final = "/pay/{reference}"
RECEIPT_PATH: Final = "/receipts/{token}"
# The short form SMS links use (a 22-character token): the same receipt.
SHORT_RECEIPT_PATH: Final = "/r/{token}"
STATIC_PATH: Final = "/web/static/{name}"
LANGUAGE_COOKIE: Final = "lang"
EVENT_STREAM_SECONDS: Final = 180.0  # an STK prompt is long over by then; the page polls after
LOOK_AGAIN_SECONDS: Final = 0.5  # how often a stream re-reads a payment settled elsewhere
_STATIC: Final = {
    "pay.css": "text/css",
    "pay.js": "text/javascript",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebRoutes:
    """The page handlers, built once with what they need."""

    def __init__(
        self,
        checkout: WebCheckout,
        forms: FormTokens,
        watch: PaymentWatch,
        limiter: AddressLimiter,
        *,
        business_name: str,
        default_language: Language,
        trusted_header: str | None = None,
        contact: BusinessContact = NO_CONTACT,
    ) -> None:
        self._checkout = checkout
        # How a payment M-Pesa never confirmed tells the customer to reach the business.
        self._contact = contact
        self._forms = forms
        self._watch = watch
        self._limiter = limiter
        self._business = business_name
        self._default: Language = default_language
        self._trusted_header = trusted_header
        self._static = {
            name: resources.files("web").joinpath("static", name).read_bytes() for name in _STATIC
        }

    def install(self, app: web.Application) -> None:
        """Add the routes, the templates and the security headers to ``app``."""
        # Templates ship with the package and change only with a deployment (a restart):
        # Jinja's default auto_reload would stat every template file on every page (a sixth
        # of a page's CPU under load, by the benchmark's profile).
        aiohttp_jinja2.setup(
            app,
            loader=jinja2.PackageLoader("web", "templates"),
            autoescape=True,
            auto_reload=False,
        )
        app.middlewares.append(security_middleware)
        app.router.add_get(PAY_PATH, self._guarded(self.page))
        app.router.add_post(PAY_PATH, self._guarded(self.pay))
        app.router.add_post(PAY_PATH + "/later", self._guarded(self.later))
        app.router.add_post(PAY_PATH + "/plan", self._guarded(self.choose))
        app.router.add_post(PAY_PATH + "/installment", self._guarded(self.installment))
        app.router.add_get(PAY_PATH + "/status", self._guarded(self.status))
        app.router.add_get(PAY_PATH + "/events", self._guarded(self.events))
        app.router.add_get(RECEIPT_PATH, self._guarded(self.receipt))
        app.router.add_get(SHORT_RECEIPT_PATH, self._guarded(self.receipt))
        app.router.add_get(STATIC_PATH, self.static)

    # --- handlers -------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The order's page: the form, or the latest payment's state; plain if unknown or paid."""
        language = self._language(request)
        found = await self._checkout.page(request.match_info["reference"])
        if found is None:
            return self._unknown(request, language)
        return await self._page(request, language, found)

    async def pay(self, request: web.Request) -> web.StreamResponse:
        """Pay from the form, then redirect to the page (which follows the payment)."""
        form = await request.post()
        language = as_language(_field(form, "lang")) or self._language(request)
        reference = request.match_info["reference"]
        found = await self._checkout.page(reference)
        if found is None:
            return self._unknown(request, language)
        order = found.order
        if not self._forms.check(order.reference, _field(form, "csrf")):
            log.info("web form for %s refused: bad or expired token", order.reference)
            return self._plain(
                request,
                language,
                w(language, "form_expired_title"),
                w(language, "form_expired_body"),
                status=403,
            )
        if order.is_fully_paid or order.status is OrderStatus.CANCELLED:
            return await self._page(request, language, found)
        amount_text, phone_text = _field(form, "amount"), _field(form, "phone")
        checked = self._checkout.check(language, order, amount_text, phone_text)
        if isinstance(checked, FieldErrors):
            return await self._page(
                request, language, found, errors=checked, typed=(amount_text, phone_text)
            )
        amount, phone = checked
        sender = f"web:{client_address(request, self._trusted_header)}"
        refused = await self._checkout.pay(order, amount, phone, language, sender=sender)
        if refused is not None:
            found = await self._checkout.page(reference) or found
            return await self._page(
                request, language, found, errors=refused, typed=(amount_text, phone_text)
            )
        raise web.HTTPSeeOther(f"/pay/{order.reference}?lang={language}")

    async def later(self, request: web.Request) -> web.StreamResponse:
        """Pay later: the chat's offer for the phone typed, or why there is none."""
        checked = await self._plan_form(request)
        if isinstance(checked, web.StreamResponse):
            return checked
        language, found, form, plans = checked
        phone = self._checkout.check_phone(language, _field(form, "phone"))
        if isinstance(phone, FieldErrors):
            typed = (_field(form, "amount"), _field(form, "phone"))
            return await self._page(request, language, found, errors=phone, typed=typed)
        shown = await plans.offer(found.order, phone, language)
        return self._plan(request, language, found.order, shown)

    async def choose(self, request: web.Request) -> web.StreamResponse:
        """Take an option of the offer: the plan is stored and its deposit pushed, then the
        order's page follows the deposit like any payment."""
        checked = await self._plan_form(request)
        if isinstance(checked, web.StreamResponse):
            return checked
        language, found, form, plans = checked
        choice = choice_of(_field(form, "choice"), found.order.reference)
        if choice is None:
            return self._expired(request, language)
        shown = await plans.accept(found.order, choice, language)
        # The deposit's push went out (or was refused): the status page says which.
        await self._follow_new_payment(found, language)
        return self._plan(request, language, found.order, shown)

    async def installment(self, request: web.Request) -> web.StreamResponse:
        """A plan's button on the order's page (the next installment, everything left, the
        deposit): the plan desk pushes as for the chat's button, then the order's page follows
        that payment like any other. A press while a payment of the order is in flight shows
        that one (one push); a plan or action the page did not offer changes nothing."""
        checked = await self._plan_form(request)
        if isinstance(checked, web.StreamResponse):
            return checked
        language, found, form, plans = checked
        reference = found.order.reference
        async with self._checkout.turn(reference):
            found = await self._checkout.page(reference) or found
            if found.latest is not None and found.latest.status is PaymentStatus.PENDING:
                raise web.HTTPSeeOther(f"/pay/{reference}?lang={language}")
            plan_id, action = _field(form, "plan"), _field(form, "action")
            shown = await plans.act(found.order, plan_id, action, language)
        if shown is None:
            log.info("web plan button for %s refused: not its plan or action", reference)
            return self._expired(request, language)
        await self._follow_new_payment(found, language)
        if not shown.paragraphs and not shown.options:
            raise web.HTTPSeeOther(f"/pay/{reference}?lang={language}")
        return self._plan(request, language, found.order, shown)

    async def status(self, request: web.Request) -> web.StreamResponse:
        """The latest payment's state as JSON (what the page polls without event streams)."""
        language = self._language(request)
        found = await self._checkout.page(request.match_info["reference"])
        if found is None:
            return web.json_response({"state": "unknown"}, status=404)
        view = status_view(language, found.latest, found.order, contact=self._contact)
        return web.json_response(view.to_json(), headers={"Cache-Control": "no-store"})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: the latest payment's state each time it changes, until final."""
        language = self._language(request)
        found = await self._checkout.page(request.match_info["reference"])
        if found is None:
            return web.json_response({"state": "unknown"}, status=404)
        reference = found.order.reference
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EVENT_STREAM_SECONDS
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
        async with sse_response(request, headers=headers) as stream:
            sent = None
            while True:
                view = status_view(language, found.latest, found.order, contact=self._contact)
                data = json.dumps(view.to_json())
                if data != sent:
                    await stream.send(data)
                    sent = data
                if view.final or loop.time() >= deadline:
                    break
                await self._watch.wait(reference, LOOK_AGAIN_SECONDS)
                found = await self._checkout.page(reference) or found
        return stream

    async def receipt(self, request: web.Request) -> web.StreamResponse:
        """A paid payment's PDF receipt; a plain page for any token not handed out."""
        language = self._language(request)
        receipt = await self._checkout.receipt(request.match_info["token"])
        if receipt is None:
            return self._plain(
                request,
                language,
                w(language, "receipt_missing_title"),
                w(language, "receipt_missing_body"),
                status=404,
            )
        body = render_receipt(receipt, self._business, language)
        number = receipt.payment.receipt_number or receipt.payment.id
        name = f"receipt-{receipt.order.reference}-{number}.pdf"
        return web.Response(
            body=body,
            content_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )

    async def static(self, request: web.Request) -> web.StreamResponse:
        """The page's stylesheet and script (kept in memory; a day in the browser's cache)."""
        name = request.match_info["name"]
        body = self._static.get(name)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=body,
            content_type=_STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # --- rendering ------------------------------------------------------------------------

    async def _page(
        self,
        request: web.Request,
        language: Language,
        found: OrderPage,
        *,
        errors: FieldErrors | None = None,
        typed: tuple[str, str] | None = None,
    ) -> web.StreamResponse:
        order = found.order
        receipt_url = None
        if found.last_paid is not None:
            token = await self._checkout.receipt_token(found.last_paid)
            receipt_url = f"/receipts/{token}?lang={language}"
        if order.is_fully_paid:
            body = order_paid_reply(language, order.reference, found.last_paid).text
            return self._plain(
                request, language, w(language, "paid_title"), body, receipt_url=receipt_url
            )
        if order.status is OrderStatus.CANCELLED:
            # The business cancelled it (orders API): closed, no form to pay it with.
            return self._plain(
                request,
                language,
                order_cancelled_title(language),
                order_cancelled(language, order.reference),
            )
        view = status_view(language, found.latest, order, contact=self._contact)
        amount, phone = typed if typed is not None else (str(order.balance), "")
        pending = view.state is State.PENDING
        ways_out = []
        if found.held_until is not None:
            ways_out.append(cancel_hold_text(language, order.reference, found.held_until))
        if found.other_way is not None:
            offer = found.other_way
            ways_out += other_way_text(
                language,
                till=offer.pay_to.till,
                number=offer.pay_to.number,
                account=offer.order_reference,
                amount=offer.amount,
            ).splitlines()
        context = self._context(request, language, w(language, "title", order=order.reference))
        context.update(
            order=order,
            balance=balance_text(order),
            status=view,
            receipt_url=receipt_url,
            base=f"/pay/{order.reference}",
            csrf=self._forms.issue(order.reference),
            errors=errors or FieldErrors(),
            amount=amount,
            phone=phone,
            amount_hint=w(language, "amount_hint", balance=f"{order.balance:,}"),
            refresh=pending,
            follow=pending,
            ways_out=ways_out,
            held=found.held_until is not None,
            pay_later=found.pay_later,
            plan=plan_section(language, found.plan, self._checkout.clock()),
        )
        status = 422 if errors else 200
        return self._render(request, "pay.html", context, language, status=status)

    async def _follow_new_payment(self, before: OrderPage, language: Language) -> None:
        """Redirect to the order's page (its status) if a payment was made since ``before``."""
        reference = before.order.reference
        earlier = before.latest.id if before.latest is not None else None
        after = await self._checkout.page(reference)
        if after is not None and after.latest is not None and after.latest.id != earlier:
            raise web.HTTPSeeOther(f"/pay/{reference}?lang={language}")

    async def _plan_form(
        self, request: web.Request
    ) -> web.StreamResponse | tuple[Language, OrderPage, Any, WebPlans]:
        """A plan form's language, order, fields and the plans; or the page to answer instead."""
        form = await request.post()
        language = as_language(_field(form, "lang")) or self._language(request)
        found = await self._checkout.page(request.match_info["reference"])
        if found is None:
            return self._unknown(request, language)
        if not self._forms.check(found.order.reference, _field(form, "csrf")):
            log.info("web plan form for %s refused: bad or expired token", found.order.reference)
            return self._expired(request, language)
        plans = self._checkout.plans
        if plans is None or found.order.is_fully_paid:
            return await self._page(request, language, found)
        return language, found, form, plans

    def _plan(
        self, request: web.Request, language: Language, order: Order, shown: PlanPage
    ) -> web.StreamResponse:
        title = w(language, "plan_title", order=order.reference)
        context = self._context(request, language, title)
        context.update(
            paragraphs=shown.paragraphs,
            options=[
                (option.data, w(language, "plan_choose", count=option.count))
                for option in shown.options
            ],
            base=f"/pay/{order.reference}",
            csrf=self._forms.issue(order.reference),
            back_url=f"/pay/{order.reference}?lang={language}",
        )
        return self._render(request, "plan.html", context, language, status=200)

    def _expired(self, request: web.Request, language: Language) -> web.StreamResponse:
        return self._plain(
            request,
            language,
            w(language, "form_expired_title"),
            w(language, "form_expired_body"),
            status=403,
        )

    def _unknown(self, request: web.Request, language: Language) -> web.StreamResponse:
        reference = request.match_info.get("reference", "")[:12]
        return self._plain(
            request,
            language,
            w(language, "unknown_title"),
            w(language, "unknown_body", order=reference),
            status=404,
        )

    def _plain(
        self,
        request: web.Request,
        language: Language,
        title: str,
        body: str,
        *,
        status: int = 200,
        receipt_url: str | None = None,
    ) -> web.StreamResponse:
        context = self._context(request, language, title)
        context.update(
            body=body,
            receipt_url=receipt_url,
            receipt_label=w(language, "download_receipt"),
        )
        return self._render(request, "plain.html", context, language, status=status)

    def _context(self, request: web.Request, language: Language, title: str) -> dict[str, Any]:
        other: Language = "sw" if language == "en" else "en"
        return {
            "language": language,
            "other_language": other,
            "business": self._business,
            "title": title,
            "t": WEB_TEXTS[language],
            "switch_url": f"{request.path}?lang={other}" if request.method == "GET" else None,
            "switch_label": w(language, "switch_language"),
            "refresh": False,
            "follow": False,
        }

    def _render(
        self,
        request: web.Request,
        template: str,
        context: dict[str, Any],
        language: Language,
        *,
        status: int,
    ) -> web.StreamResponse:
        response = aiohttp_jinja2.render_template(template, request, context, status=status)
        response.headers["Cache-Control"] = "no-store"
        if request.query.get("lang") == language:
            # The one cookie: the language the customer chose on the page.
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                path="/",
            )
        return response

    # --- helpers --------------------------------------------------------------------------

    def _language(self, request: web.Request) -> Language:
        """The query's ``lang``, else the cookie, else ``Accept-Language``, else the default."""
        return (
            as_language(request.query.get("lang"))
            or as_language(request.cookies.get(LANGUAGE_COOKIE))
            or accepted_language(request.headers.get("Accept-Language"))
            or self._default
        )

    def _guarded(self, handler: Handler) -> Handler:
        """Limit requests per address, and turn any failure into a plain page."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            language = self._language(request)
            if not self._limiter.allow(client_address(request, self._trusted_header)):
                return self._plain(
                    request,
                    language,
                    w(language, "too_many_title"),
                    w(language, "too_many_body"),
                    status=429,
                )
            try:
                return await handler(request)
            except web.HTTPException:
                raise
            except Exception:
                log.exception("web page %s failed", request.method)
                return self._plain(
                    request,
                    language,
                    w(language, "error_title"),
                    sorry_text(language),
                    status=500,
                )

        return guarded


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value[:200] if isinstance(value, str) else ""
