"""Charts and QR codes are real PNG images; long answers are split to fit Telegram."""

from __future__ import annotations

import png
import pytest

from bot.charts import bar_chart_png
from bot.qr import CARD_MIN_WIDTH, qr_card_png, qr_png
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


def test_a_qr_card_draws_the_words_under_the_code_ready_to_print() -> None:
    link = "https://t.me/lipa_test_bot?start=pay_K7M2-Q9XD"
    code_width, code_height, _ = decode(qr_png(link))
    lines = ("Order K7M2-Q9XD - KES 1,500", "Scan with your phone's camera, or open:", link)
    width, height, pixels = decode(qr_card_png(link, "Wildwash Laundry", lines))
    assert width == max(code_width, CARD_MIN_WIDTH)
    assert height > code_height + 4 * 24  # four lines of text under the code
    # The code is drawn whole at the top, centred; there is ink below it (the words).
    left = (width - code_width) // 2
    assert pixels[0][left * 4 : (left + code_width) * 4].count(0) == 0  # quiet zone: white
    below = pixels[code_height + 5 :]
    dark = sum(1 for row in below for i in range(0, len(row), 4) if row[i] < 128)
    assert dark > 500


def test_a_long_title_is_shrunk_to_fit_the_card() -> None:
    link = "https://t.me/lipa_test_bot?start=pay_K7M2-Q9XD"
    title = "Wanjiku's Wash & Dry Laundry Services, Kilimani Branch"
    narrow = decode(qr_card_png(link, title, ("x",)))
    assert narrow[0] == CARD_MIN_WIDTH
    # No ink touches the card's left and right edges: the text was made smaller, not cut.
    _, _, pixels = narrow
    assert all(row[0] == 255 and row[-4] == 255 for row in pixels)


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
