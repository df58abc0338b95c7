"""The simulator's test key pair and certificate, made at first use (never a secret).

Daraja encrypts nothing with the initiator's password: the client encrypts it with Safaricom's
certificate and Daraja decrypts it. The simulator plays Safaricom's part with a key pair it
generates itself, once per process, and serves the certificate at ``GET
/simulator/certificate`` so :func:`daraja.security_credential` can be used against it. Nothing
here protects anything real.
"""

from __future__ import annotations

import base64
import binascii
import functools
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

COMMON_NAME = "Lipa Daraja simulator test certificate (not a secret)"


class SimulatorKeys:
    """An RSA key pair and a self-signed certificate of its public key."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)

    def decrypt(self, credential: object) -> str | None:
        """The password inside a SecurityCredential, or None if it is not one of ours."""
        if not isinstance(credential, str) or not credential:
            return None
        try:
            encrypted = base64.b64decode(credential, validate=True)
            # PKCS#1 v1.5, as Safaricom expects; a wrong key or garbage raises ValueError.
            return self._key.decrypt(encrypted, padding.PKCS1v15()).decode("utf-8")
        except (binascii.Error, ValueError):
            return None


@functools.cache
def simulator_keys() -> SimulatorKeys:
    """The process's one simulator key pair (generated on first call: about 0.1 s)."""
    return SimulatorKeys()
