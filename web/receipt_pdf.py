"""The one-page PDF receipt of a paid payment (fpdf2, its built-in Helvetica: no font files)."""

from __future__ import annotations

from fpdf import FPDF

from checkout.domain.money import format_number
from checkout.domain.phones import mask_phone
from checkout.domain.records import Language
from checkout.domain.time import NAIROBI
from web.payment_page import Receipt
from web.texts import w

# Helvetica covers Latin-1 only: typographic characters become their plain look-alikes.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def _plain(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def render_receipt(receipt: Receipt, business_name: str, language: Language) -> bytes:
    """The receipt as PDF bytes: business, order, amount, M-Pesa receipt, Nairobi time, phone."""
    payment, order = receipt.payment, receipt.order
    when = payment.transaction_date or payment.settled_at or payment.created_at
    rows = [
        (w(language, "receipt_order"), order.reference),
        (w(language, "receipt_amount"), f"KES {format_number(payment.amount)}"),
        (
            w(language, "receipt_mpesa"),
            payment.receipt_number or w(language, "receipt_to_follow"),
        ),
        (
            w(language, "receipt_date"),
            when.astimezone(NAIROBI).strftime("%d/%m/%Y %H:%M"),
        ),
        (w(language, "receipt_phone"), mask_phone(payment.phone)),
        (w(language, "receipt_balance"), f"KES {format_number(order.balance)}"),
    ]
    if order.description:
        rows.insert(1, (w(language, "receipt_description"), order.description))
    pdf = FPDF(format=(148, 210))  # A5, in millimetres
    pdf.set_title(_plain(f"{business_name} {order.reference}"))
    pdf.set_creator("Lipa")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _plain(business_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, _plain(w(language, "receipt_heading")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(50, 8, _plain(label))
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 8, _plain(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 10)
    pdf.cell(0, 8, _plain(w(language, "receipt_footer")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
