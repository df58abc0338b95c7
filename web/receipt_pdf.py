"""The one-page PDF receipt of a paid payment (fpdf2, its built-in Helvetica: no font files)."""

from __future__ import annotations

from fpdf import FPDF

from checkout.bnpl.records import InstallmentStatus, Plan
from checkout.domain.money import format_number
from checkout.domain.phones import mask_phone
from checkout.domain.records import Language
from checkout.domain.time import NAIROBI
from web.payment_page import Receipt
from web.plan_view import part_label
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
    if receipt.plan is not None:
        _plan_schedule(pdf, receipt.plan, language)
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 10)
    pdf.cell(0, 8, _plain(w(language, "receipt_footer")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def plan_rows(plan: Plan, language: Language) -> list[tuple[str, str, str, str]]:
    """A plan's schedule as the receipt shows it: each part, its date, amount and state."""
    rows = []
    for item in plan.installments:
        label = part_label(language, item)
        if item.status is InstallmentStatus.PAID:
            state = w(language, "receipt_plan_paid")
        elif item.status.is_unpaid:
            state = w(language, "receipt_plan_due")
        else:
            state = w(language, "receipt_plan_cancelled")
        if item.late_fee > 0:
            state += f" ({w(language, 'receipt_plan_fee', fee=format_number(item.late_fee))})"
        day = item.due_at.astimezone(NAIROBI).strftime("%d/%m/%Y")
        rows.append((label, day, f"KES {format_number(item.amount)}", state))
    return rows


def _plan_schedule(pdf: FPDF, plan: Plan, language: Language) -> None:
    """The plan's schedule under the payment: a row per part, then what is left to pay."""
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    title = w(language, "receipt_plan", plan=f"#{plan.id}")
    pdf.cell(0, 8, _plain(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for label, day, amount, state in plan_rows(plan, language):
        pdf.cell(32, 6, _plain(label))
        pdf.cell(26, 6, day)
        pdf.cell(28, 6, _plain(amount), align="R")
        pdf.cell(0, 6, _plain(f"  {state}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    left = w(language, "receipt_plan_left", left=format_number(plan.left))
    pdf.cell(0, 8, _plain(left), new_x="LMARGIN", new_y="NEXT")
