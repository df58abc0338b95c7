"""QR codes of links, as PNG images (pure Python: qrcode with its PyPNG backend)."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage


def qr_png(text: str, *, box_size: int = 10) -> bytes:
    """A PNG of a QR code of ``text``, with the standard quiet zone, readable when printed."""
    # Level M survives a crease or a smudge on a printed code and keeps a link's code small.
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4
    )
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(image_factory=PyPNGImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
