"""A USSD customer's paid SMS carries the receipt link: in one SMS when it fits, else right after.

Both languages at the longest amounts, references and receipts, with the simulator's mark and
a realistic public address: every SMS is GSM-7 within 160 characters and the link is whole.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

import httpx
import pytest

from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, is_gsm7
from checkout.domain.records import Channel, Language
from checkout.domain.replies import Reply, reply_to_payload
from checkout.i18n import texts
from checkout.i18n.payments.messages import SMS_PARAGRAPH
from checkout.i18n.web_plans import sms_receipt_text
from sms import AfricasTalkingSms, SmsConfig, SmsSender, build_sms_http_client
from sms.sender import sms_parts

BASE = "https://pay.wildwash-laundry.co.ke"
MARK = "[SIMULATED] "


def _link() -> str:
    return f"{BASE}/r/{secrets.token_urlsafe(16)}"


def _outcome(language: Language, *, longest: bool, in_full: bool) -> str:
    amount, order, receipt, balance = (
        ("250,000", "ABCDEFGH-123", "TKL9XQ2ZPA", "9,999,750,000")
        if longest
        else ("1,500", "WW-1042", "TKL9XQ2ZPA", "1,500")
    )
    if in_full:
        return texts.t(
            language, "outcome_paid_in_full", amount=amount, order=order, receipt=receipt
        )
    return texts.t(
        language, "outcome_paid", amount=amount, order=order, receipt=receipt, balance=balance
    )


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("in_full", [False, True])
@pytest.mark.parametrize("mark", ["", MARK])
def test_the_longest_outcome_and_its_link_fit_sms(
    language: Language, in_full: bool, mark: str
) -> None:
    outcome = _outcome(language, longest=True, in_full=in_full)
    link = _link()
    parts = sms_parts(mark, outcome + SMS_PARAGRAPH + sms_receipt_text(language, link))
    assert all(is_gsm7(part) and gsm7_length(part) <= SCREEN_LENGTH for part in parts)
    assert parts[0].startswith(mark + outcome.split(".")[0])
    assert parts[-1].endswith(link)  # whole, last: the link comes right after the outcome
    assert len(parts) <= 2


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_common_outcome_and_its_link_are_one_sms_in_production(language: Language) -> None:
    outcome = _outcome(language, longest=False, in_full=True)
    link = f"http://127.0.0.1:8080/r/{secrets.token_urlsafe(16)}"
    [one] = sms_parts("", outcome + SMS_PARAGRAPH + sms_receipt_text(language, link))
    assert one.startswith(outcome)
    assert one.endswith(link)
    assert gsm7_length(one) <= SCREEN_LENGTH


def test_a_short_token_is_128_bits_in_22_characters() -> None:
    token = secrets.token_urlsafe(16)
    assert len(token) == 22


async def test_the_sender_sends_the_outcome_then_the_link() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(parse_qs(request.content.decode())["message"][0])
        recipient = {"statusCode": 101, "number": "+254712345678", "status": "Success"}
        body = {"SMSMessageData": {"Message": "Sent", "Recipients": [recipient]}}
        return httpx.Response(201, json=body)

    http = build_sms_http_client(
        "https://api.sandbox.africastalking.com/", transport=httpx.MockTransport(answer)
    )
    client = AfricasTalkingSms(http, SmsConfig("sandbox", "atsk_key_for_tests_0123456789"))
    outcome = _outcome("sw", longest=True, in_full=False)
    link = _link()
    reply = Reply(outcome + SMS_PARAGRAPH + sms_receipt_text("sw", link))
    await SmsSender(client, mark=MARK).send(Channel.USSD, "254712345678", reply_to_payload(reply))
    await http.aclose()
    assert sent == [MARK + outcome, MARK + f"Risiti: {link}"]
