"""Bar charts of takings as PNG images, drawn headless with matplotlib's Agg renderer.

Figures are built with matplotlib's object API (no ``pyplot``): no GUI backend, no global
figure state, so charts can be drawn in worker threads while the bot keeps serving.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

BAR_COLOUR = "#1b7f3b"  # M-Pesa green


def bar_chart_png(
    title: str, labels: Sequence[str], values: Sequence[int], *, unit: str = "KES"
) -> bytes:
    """A PNG bar chart with one bar per label; values in ``unit`` with thousands separators."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    figure = Figure(figsize=(max(6.0, 0.32 * len(labels) + 2.0), 4.0), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(values)))
    axes.bar(positions, list(values), color=BAR_COLOUR)
    axes.set_xticks(positions, list(labels), rotation=90 if len(labels) > 10 else 0)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.set_ylabel(unit)
    axes.set_ylim(bottom=0, top=max(max(values, default=0) * 1.1, 1))
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
