"""The SecurityCredential: RSA PKCS#1 v1.5 with the certificate's key, base64; never printed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from daraja import Initiator, Secret, security_credential


def certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_the_credential_decrypts_to_the_password_with_the_private_key(
    key: rsa.RSAPrivateKey,
) -> None:
    pem = certificate(key).public_bytes(serialization.Encoding.PEM)
    credential = security_credential("Safaricom999!*!", pem)
    decrypted = key.decrypt(base64.b64decode(credential, validate=True), padding.PKCS1v15())
    assert decrypted == b"Safaricom999!*!"
    # PKCS#1 v1.5 is randomised: a second credential differs and is as valid.
    assert security_credential("Safaricom999!*!", pem) != credential


def test_a_der_certificate_works_too(key: rsa.RSAPrivateKey) -> None:
    der = certificate(key).public_bytes(serialization.Encoding.DER)
    credential = security_credential("pw", der)
    assert key.decrypt(base64.b64decode(credential), padding.PKCS1v15()) == b"pw"


def test_what_is_not_an_rsa_certificate_is_refused(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="certificate"):
        security_credential("pw", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
    with pytest.raises(ValueError, match="certificate"):
        security_credential("pw", b"")
    ec_pem = certificate(ec.generate_private_key(ec.SECP256R1())).public_bytes(
        serialization.Encoding.PEM
    )
    with pytest.raises(ValueError, match="RSA"):
        security_credential("pw", ec_pem)
    pem = certificate(key).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(ValueError, match="password"):
        security_credential("", pem)


def test_an_initiator_never_shows_its_credential(key: rsa.RSAPrivateKey) -> None:
    pem = certificate(key).public_bytes(serialization.Encoding.PEM)
    initiator = Initiator.from_password("apiop", "hunter2", pem)
    value = initiator.credential.get_secret_value()
    assert value not in repr(initiator)
    assert value not in str(initiator)
    assert "apiop" in repr(initiator)
    assert key.decrypt(base64.b64decode(value), padding.PKCS1v15()) == b"hunter2"


def test_an_initiator_needs_a_name_and_a_wrapped_credential() -> None:
    with pytest.raises(ValueError, match="name"):
        Initiator(" ", Secret("c"))
    with pytest.raises(ValueError, match="credential"):
        Initiator("apiop", Secret(""))
    with pytest.raises(TypeError):
        Initiator("apiop", "plain")  # type: ignore[arg-type]
