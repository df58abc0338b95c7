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
from cryptography.hazmat.primitives.asymmetric import rsa
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
        """The password inside a SecurityCredential, or None if it is not one of ours.

        A credential made with another certificate, tampered with, or not PKCS#1 v1.5 is
        refused: its padding does not check out, or what it holds is not a printable text.
        """
        if not isinstance(credential, str) or not credential:
            return None
        try:
            encrypted = base64.b64decode(credential, validate=True)
        except binascii.Error:
            return None
        message = self._unpad(encrypted)
        if not message:
            return None
        try:
            password = message.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return password if password.isprintable() else None

    def _unpad(self, encrypted: bytes) -> bytes | None:
        """The message of a PKCS#1 v1.5 encryption block, or None where the padding is wrong.

        Why not ``self._key.decrypt(..., padding.PKCS1v15())``: OpenSSL 3.2 and later answer a
        block whose padding is wrong with a made-up message ("implicit rejection", against
        timing attacks) instead of an error, so a credential made with another certificate
        came back as a random, sometimes empty or printable, password. The simulator has
        nothing to hide from a timing attack and must tell a wrong key, so it checks the
        padding itself (RFC 8017, 7.2.2): ``00 02``, at least eight non-zero bytes, ``00``.
        """
        numbers = self._key.private_numbers()
        modulus = numbers.public_numbers.n
        size = (modulus.bit_length() + 7) // 8
        if len(encrypted) != size:
            return None
        cipher = int.from_bytes(encrypted, "big")
        if cipher >= modulus:
            return None
        block = pow(cipher, numbers.d, modulus).to_bytes(size, "big")
        separator = block.find(b"\x00", 2)
        if block[:2] != b"\x00\x02" or separator < 10:
            return None
        return block[separator + 1 :]


@functools.cache
def simulator_keys() -> SimulatorKeys:
    """The process's one simulator key pair (generated on first call: about 0.1 s)."""
    return SimulatorKeys()
