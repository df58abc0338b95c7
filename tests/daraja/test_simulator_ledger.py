"""The simulator's ledger, receipts, number forms and test key, without sockets."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from datetime import datetime

import pytest

from daraja import Initiator, security_credential
from daraja.signing import NAIROBI
from daraja.simulator import MsisdnForm, SimulatorSettings
from daraja.simulator.keys import SimulatorKeys, simulator_keys
from daraja.simulator.ledger import (
    Kind,
    Ledger,
    LedgerTransaction,
    receipt_number,
    shown_msisdn,
)


def test_receipts_look_like_real_ones_and_encode_the_date() -> None:
    rng = random.Random(3)
    receipt = receipt_number(rng, datetime(2019, 12, 19, 10, 21, tzinfo=NAIROBI))
    assert re.fullmatch(r"NLJ[A-Z0-9]{7}", receipt)  # as NLJ7RT61SV, of 19 December 2019
    assert receipt_number(rng, datetime(2026, 1, 1, tzinfo=NAIROBI))[:3] == "UA1"
    assert receipt_number(rng, datetime(2026, 3, 31, tzinfo=NAIROBI))[:3] == "UCV"


def test_the_ledger_never_repeats_a_receipt_or_a_transaction() -> None:
    ledger = Ledger(random.Random(1))
    moment = datetime(2026, 12, 1, 9, tzinfo=NAIROBI)
    receipts = {ledger.new_receipt(moment) for _ in range(50)}
    assert len(receipts) == 50
    entry = LedgerTransaction("UL1AAAAAAA", Kind.C2B, moment, "174379", "254712345678", 10)
    ledger.add(entry)
    with pytest.raises(ValueError, match="already"):
        ledger.add(entry)
    assert ledger.get("ul1aaaaaaa") is entry


def test_the_three_forms_of_a_number() -> None:
    phone = "254708374149"
    assert shown_msisdn(phone, MsisdnForm.FULL) == phone
    assert shown_msisdn(phone, MsisdnForm.MASKED) == "2547****149"
    assert shown_msisdn(phone, MsisdnForm.HASHED) == hashlib.sha256(phone.encode()).hexdigest()


def test_the_simulator_decrypts_only_credentials_made_with_its_certificate() -> None:
    keys = simulator_keys()
    assert simulator_keys() is keys  # one per process
    assert b"BEGIN CERTIFICATE" in keys.certificate_pem
    credential = security_credential("open sesame", keys.certificate_pem)
    assert keys.decrypt(credential) == "open sesame"
    other = SimulatorKeys()
    assert keys.decrypt(security_credential("open sesame", other.certificate_pem)) is None
    assert keys.decrypt("not base64!") is None
    assert keys.decrypt(base64.b64encode(b"short").decode()) is None
    assert keys.decrypt(None) is None
    assert Initiator.from_password("x", "y", keys.certificate_pem).name == "x"


def test_credentials_made_with_other_certificates_are_refused_every_time() -> None:
    # OpenSSL 3.2+ answers a wrong key with a made-up message instead of an error; one in a
    # few hundred of those used to come back as a password (an empty one, in one CI run).
    keys = simulator_keys()
    others = [SimulatorKeys() for _ in range(3)]
    passwords = ["open sesame", "x", "Safaricom999!", "p" * 64]
    for other in others:
        for password in passwords:
            for _ in range(10):
                made = security_credential(password, other.certificate_pem)
                assert keys.decrypt(made) is None
    ours = security_credential("open sesame", keys.certificate_pem)
    tampered = bytearray(base64.b64decode(ours))
    tampered[-1] ^= 0x01
    assert keys.decrypt(base64.b64encode(bytes(tampered)).decode()) is None
    for password in passwords:
        assert keys.decrypt(security_credential(password, keys.certificate_pem)) == password


def test_settings_have_safe_defaults_and_hide_the_password() -> None:
    settings = SimulatorSettings()
    assert settings.c2b_msisdn_form is MsisdnForm.MASKED
    assert settings.c2b_validation
    assert not settings.results_time_out
    assert settings.initiator_password not in repr(settings)
    with pytest.raises(ValueError, match="pull_page_size"):
        SimulatorSettings(pull_page_size=0)
