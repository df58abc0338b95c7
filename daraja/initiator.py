"""The initiator of Transaction Status, Reversal and B2C requests, and its SecurityCredential.

``SecurityCredential`` is the initiator's password encrypted with Safaricom's public-key
certificate (RSA, PKCS#1 v1.5 padding), base64. The sandbox and production certificates
differ; the simulator serves its own. PKCS#1 v1.5 encryption is randomised, so two
credentials made from one password differ and both are valid.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from daraja.config import Secret


def _public_key(certificate: bytes) -> rsa.RSAPublicKey:
    """The RSA key of a PEM or DER certificate; ValueError for anything else."""
    if not isinstance(certificate, bytes | bytearray) or not certificate:
        raise ValueError("the certificate must be the bytes of a PEM or DER file")
    data = bytes(certificate)
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            loaded = x509.load_pem_x509_certificate(data)
        else:
            loaded = x509.load_der_x509_certificate(data)
    except ValueError:
        raise ValueError("not a PEM or DER X.509 certificate") from None
    key = loaded.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the certificate's key is not an RSA key")
    return key


def security_credential(password: str, certificate_pem: bytes) -> str:
    """``password`` encrypted with the certificate's RSA key (PKCS#1 v1.5), base64.

    ``certificate_pem`` is the certificate file's content (PEM; DER is accepted too). Raises
    ValueError for an empty password or a file that is not an RSA certificate.
    """
    if not isinstance(password, str) or not password:
        raise ValueError("the initiator password is empty")
    key = _public_key(certificate_pem)
    encrypted = key.encrypt(password.encode("utf-8"), padding.PKCS1v15())
    return base64.b64encode(encrypted).decode("ascii")


@dataclass(frozen=True)
class Initiator:
    """An API operator of the shortcode: its name and SecurityCredential (never printed)."""

    name: str
    credential: Secret

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("the initiator name is empty")
        if not isinstance(self.credential, Secret):
            raise TypeError("credential must be wrapped in Secret")
        if not self.credential.get_secret_value():
            raise ValueError("the security credential is empty")

    @classmethod
    def from_password(cls, name: str, password: str, certificate_pem: bytes) -> Initiator:
        """An initiator whose credential is ``password`` encrypted with the certificate."""
        return cls(name, Secret(security_credential(password, certificate_pem)))
