"""QR codes of links as PNG images: the bare code, and a card to print for the counter.

The bare code is pure Python (qrcode with its PyPNG backend). The card draws the code with
the business name, the order, the amount and the link under it, with Pillow (which
matplotlib brings) and matplotlib's bundled DejaVu Sans (Latin letters of both languages),
so it looks the same on every server whatever fonts are installed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Final

import matplotlib
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.image.pure import PyPNGImage

_FONTS: Final = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
# A card is at least this wide, so the text under a small code is large enough to read.
CARD_MIN_WIDTH: Final = 480
_MARGIN: Final = 24
_TITLE_SIZE: Final = 30
_LINE_SIZE: Final = 24
_SMALLEST: Final = 12


def _code(text: str, box_size: int) -> qrcode.QRCode:
    # Level M survives a crease or a smudge on a printed code and keeps a link's code small.
    code: qrcode.QRCode = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, *, box_size: int = 10) -> bytes:
    """A PNG of a QR code of ``text``, with the standard quiet zone, readable when printed."""
    image = _code(text, box_size).make_image(image_factory=PyPNGImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONTS / name), size)


def _fitting(
    draw: ImageDraw.ImageDraw, text: str, bold: bool, size: int, width: int
) -> tuple[ImageFont.FreeTypeFont, int]:
    """The largest font up to ``size`` in which ``text`` fits ``width``; and its line height."""
    while True:
        font = _font(bold, size)
        left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= width or size <= _SMALLEST:
            return font, int(size * 1.35)
        size -= 1


def qr_card_png(link: str, title: str, lines: Sequence[str], *, box_size: int = 10) -> bytes:
    """A printable PNG: the QR code of ``link``, then ``title`` (bold) and ``lines`` centred
    under it, each shrunk to fit the width; the card is taller than the bare code."""
    code = Image.open(io.BytesIO(qr_png(link, box_size=box_size))).convert("L")
    width = max(code.width, CARD_MIN_WIDTH)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    room = width - 2 * _MARGIN
    rows = [(title, *_fitting(measure, title, True, _TITLE_SIZE, room))]
    rows += [(line, *_fitting(measure, line, False, _LINE_SIZE, room)) for line in lines]
    height = code.height + sum(step for _, _, step in rows) + _MARGIN
    card = Image.new("L", (width, height), 255)
    card.paste(code, ((width - code.width) // 2, 0))
    draw = ImageDraw.Draw(card)
    top = code.height
    for text, font, step in rows:
        draw.text((width // 2, top), text, fill=0, font=font, anchor="ma")
        top += step
    buffer = io.BytesIO()
    card.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
