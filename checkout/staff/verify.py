"""Staff ``/verify <code> [order]`` and its "Credit to order …" buttons, on top of the staff desk.

``/verify`` asks M-Pesa (Transaction Status) what it knows of a code; the answer comes to the
chat where it was typed, with the amount, the payer's name as M-Pesa gives it, the time, the
status and a button per order to credit it to. A button carries ``/verify credit <request>
<order>`` (staff buttons run their command); it credits the code once (the till ledger refuses
a second time). What was done (:mod:`checkout.staff.outcomes`) is said by
:mod:`checkout.staff.views.verify`. Every other command goes to the desk.
"""

from __future__ import annotations

from checkout.domain.records import Channel, Language
from checkout.domain.references import parse_order_reference
from checkout.staff.answers import StaffAnswer, StaffRequest
from checkout.staff.commands import StaffDesk
from checkout.staff.outcomes import CreditPressed, NotACode, VerifyAsked, VerifyDone, VerifyUsage
from checkout.staff.views.verify import verify_answer
from checkout.till.verify.service import VerifyService
from checkout.till.verify.status import parse_code
from checkout.till.verify.views import parse_credit_argument

VERIFY = "verify"


class StaffVerify:
    """The staff desk with ``/verify`` and its buttons."""

    def __init__(self, desk: StaffDesk, verify: VerifyService) -> None:
        self._desk = desk
        self._verify = verify

    @property
    def commands(self) -> frozenset[str]:
        """The desk's commands and ``verify``."""
        return self._desk.commands | {VERIFY}

    def say(self, key: str, **params: object) -> str:
        return self._desk.say(key, **params)

    async def handle(self, request: StaffRequest) -> StaffAnswer:
        """``/verify`` here, said in the staff user's language; every other command at the
        desk."""
        if request.name != VERIFY:
            return await self._desk.handle(request)
        language = await self._desk.language_of(request.user_id)
        done = await self._run(request, language)
        return verify_answer(language, done, contact=self._verify.contact)

    async def _run(self, request: StaffRequest, language: Language) -> VerifyDone:
        """Credit a pressed code, or ask M-Pesa about a typed one: its answer follows in the
        chat, in ``language``."""
        pressed = parse_credit_argument(request.argument)
        if pressed is not None:
            return await self._credit(pressed, request.user_id)
        words = request.argument.split()
        if not words or len(words) > 2 or request.chat_id is None:
            return VerifyUsage()
        code = parse_code(words[0])
        if code is None:
            return NotACode(words[0])
        order = parse_order_reference(words[1]) if len(words) > 1 else None
        if len(words) > 1 and order is None:
            return VerifyUsage()
        asked = await self._verify.ask_for_staff(
            code,
            chat=(Channel.TELEGRAM, str(request.chat_id)),
            language=language,
            user=None if request.user_id is None else str(request.user_id),
            order_reference=order,
            full_phones=self._desk.full_phones_for(request),
        )
        return VerifyAsked(asked)

    async def _credit(self, pressed: tuple[int, str], user_id: int | None) -> CreditPressed:
        """A "Credit to order …" press: credit the code to the order."""
        request_id, order = pressed
        by = str(user_id) if user_id is not None else "staff"
        return CreditPressed(await self._verify.credit_for_staff(request_id, order, by=by), order)
