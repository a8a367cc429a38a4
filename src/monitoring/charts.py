"""Small server-rendered SVG bar charts for the admin console (no chart library, no script).

Every value and label is escaped; sizes are attributes (the CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT, PAD = 320, 120, 18


def bar_chart(title: str, days: Sequence[date], values: Sequence[float], *, unit: str = "") -> str:
    """A bar per day with the largest value labelled; an empty-state text when all are zero."""
    top = max(values, default=0)
    label = escape(title)
    if not values or top <= 0:
        return (f'<svg class="chart" role="img" aria-label="{label}: no data yet" viewBox="0 0'
                f' {WIDTH} {HEIGHT}"><title>{label}</title><text x="{WIDTH // 2}" y="{HEIGHT // 2}"'
                ' text-anchor="middle" class="chart__empty">No data yet</text></svg>')  # fmt: skip
    step = (WIDTH - 2 * PAD) / len(values)
    bars = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        height = (HEIGHT - 2 * PAD) * value / top
        x, y = PAD + i * step, HEIGHT - PAD - height
        text = f"{day:%d %b}: {value:,.2f}{unit}".replace(".00", "")
        width = max(step - 2, 1)
        bars.append(f'<rect class="chart__bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}"'
                    f' height="{height:.1f}"><title>{escape(text)}</title></rect>')  # fmt: skip
    peak = f"max {top:,.2f}{unit}".replace(".00", "")
    return (f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}">'
            f"<title>{label}</title>{''.join(bars)}"
            f'<text x="{PAD}" y="{PAD - 6}" class="chart__label">{escape(peak)}</text>'
            f'<text x="{PAD}" y="{HEIGHT - 4}" class="chart__label">{days[0]:%d %b}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" text-anchor="end" class="chart__label">'
            f"{days[-1]:%d %b}</text></svg>")  # fmt: skip
