"""Charts and QR codes are real PNG images; long answers are split to fit Telegram."""

from __future__ import annotations

import png
import pytest

from bot.charts import bar_chart_png
from bot.qr import qr_png
from bot.staff import caption, split_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode(data: bytes) -> tuple[int, int, list[list[int]]]:
    assert data.startswith(PNG_SIGNATURE)
    width, height, rows, _info = png.Reader(bytes=data).asRGBA8()
    pixels = [list(row) for row in rows]
    assert len(pixels) == height
    return width, height, pixels


def test_a_bar_chart_is_a_png_with_coloured_bars() -> None:
    data = bar_chart_png("Takings", ["01/11", "02/11", "03/11"], [1500, 0, 250_000])
    width, height, pixels = decode(data)
    assert (width, height) == (660, 440)  # 6 x 4 inches at 110 dpi
    # The bar colour (#1b7f3b) is drawn somewhere: the chart is not blank.
    green = (0x1B, 0x7F, 0x3B, 0xFF)
    assert any(tuple(row[i : i + 4]) == green for row in pixels for i in range(0, len(row), 4))


def test_a_month_chart_widens_to_fit_thirty_bars() -> None:
    data = bar_chart_png("Month", [f"{n:02d}/11" for n in range(1, 31)], list(range(30)))
    width, height, _ = decode(data)
    assert width > 660
    assert height == 440


def test_a_chart_needs_one_label_per_value() -> None:
    with pytest.raises(ValueError, match="one label per value"):
        bar_chart_png("x", ["a"], [1, 2])


def test_a_qr_code_is_a_square_black_and_white_png() -> None:
    width, height, pixels = decode(qr_png("https://t.me/lipa_test_bot?start=pay_K7M2-Q9XD"))
    assert width == height
    # Boxes of 10 pixels; a version-v code has 17 + 4v modules, plus a 4-module quiet zone.
    modules = width // 10 - 2 * 4
    assert width % 10 == 0
    assert (modules - 17) % 4 == 0
    assert 1 <= (modules - 17) // 4 <= 10
    colours = {tuple(row[i : i + 3]) for row in pixels for i in range(0, len(row), 4)}
    assert colours == {(0, 0, 0), (255, 255, 255)}


def test_long_text_is_split_at_line_ends_within_the_limit() -> None:
    lines = [f"line {n} " + "x" * 50 for n in range(200)]
    chunks = split_text("\n".join(lines), limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_a_single_overlong_line_is_cut_hard() -> None:
    chunks = split_text("y" * 2500, limit=1000)
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 500]


def test_captions_are_kept_within_telegrams_limit() -> None:
    assert caption("short") == "short"
    assert len(caption("z" * 5000)) == 1024
