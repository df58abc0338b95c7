"""Staff ``/verify <code> [order]`` and its "Credit to order …" buttons, on top of the staff desk.

``/verify`` asks M-Pesa (Transaction Status) what it knows of a code; the answer comes to the
chat where it was typed, with the amount, the payer's name as M-Pesa gives it, the time, the
status and a button per order to credit it to. A button carries ``/verify credit <request>
<order>`` (staff buttons run their command); it credits the code once (the till ledger refuses
a second time) and says what happened. Every other command goes to the desk.
"""

from __future__ import annotations

from checkout.domain.records import Channel, Language
from checkout.domain.references import parse_order_reference
from checkout.i18n.staff_answers import VerifySaid, verify_text
from checkout.staff.answers import StaffAnswer, StaffRequest, TextAnswer
from checkout.staff.commands import StaffDesk
from checkout.staff.languages import StaffLanguages
from checkout.till.verify.service import VerifyService
from checkout.till.verify.status import VerifyOutcome, parse_code
from checkout.till.verify.views import parse_credit_argument, staff_reason

VERIFY = "verify"


class StaffVerify:
    """The staff desk with ``/verify`` and its buttons."""

    def __init__(
        self,
        desk: StaffDesk,
        verify: VerifyService,
        *,
        language: Language,
        languages: StaffLanguages | None = None,
    ) -> None:
        self._desk = desk
        self._verify = verify
        self._language: Language = language
        self._languages = languages

    @property
    def commands(self) -> frozenset[str]:
        """The desk's commands and ``verify``."""
        return self._desk.commands | {VERIFY}

    def say(self, key: str, **params: object) -> str:
        return self._desk.say(key, **params)

    async def handle(self, request: StaffRequest) -> StaffAnswer:
        """``/verify`` here; every other command at the desk."""
        if request.name != VERIFY:
            return await self._desk.handle(request)
        language = await self._language_of(request.user_id)
        pressed = parse_credit_argument(request.argument)
        if pressed is not None:
            return await self._credit(pressed, language, request.user_id)
        words = request.argument.split()
        if not words or len(words) > 2 or request.chat_id is None:
            return TextAnswer(verify_text(language, VerifySaid.USAGE))
        code = parse_code(words[0])
        if code is None:
            return TextAnswer(verify_text(language, VerifySaid.INVALID, text=words[0][:20]))
        order = parse_order_reference(words[1]) if len(words) > 1 else None
        if len(words) > 1 and order is None:
            return TextAnswer(verify_text(language, VerifySaid.USAGE))
        asked = await self._verify.ask_for_staff(
            code,
            chat=(Channel.TELEGRAM, str(request.chat_id)),
            language=language,
            user=None if request.user_id is None else str(request.user_id),
            order_reference=order,
            full_phones=self._desk.full_phones_for(request),
        )
        if asked.outcome is not VerifyOutcome.CHECKING:
            # Given up at once: the request's handler is saying why in this chat.
            said = VerifySaid.UNAVAILABLE
            return TextAnswer(verify_text(language, said, code=code, reason=asked.reason or ""))
        return TextAnswer(verify_text(language, VerifySaid.CHECKING, code=code))

    async def _credit(
        self, pressed: tuple[int, str], language: Language, user_id: int | None
    ) -> StaffAnswer:
        """A "Credit to order …" press: credit the code and say what happened."""
        request_id, order = pressed
        by = str(user_id) if user_id is not None else "staff"
        done = await self._verify.credit_for_staff(request_id, order, by=by)
        if done.outcome is VerifyOutcome.CREDITED:
            amount = done.facts.amount if done.facts is not None else None
            said = VerifySaid.CREDITED
            return TextAnswer(
                verify_text(language, said, code=done.code, amount=amount, order=order)
            )
        if done.outcome is VerifyOutcome.UNAVAILABLE:
            return TextAnswer(verify_text(language, VerifySaid.EXPIRED, code=done.code))
        reason = staff_reason(
            language, done.outcome, code=done.code, order=order, contact=self._verify.contact
        )
        said = VerifySaid.NOT_CREDITED
        return TextAnswer(verify_text(language, said, code=done.code, order=order, reason=reason))

    async def _language_of(self, user_id: int | None) -> Language:
        if self._languages is not None and user_id is not None:
            return await self._languages.of(user_id)
        return self._language
