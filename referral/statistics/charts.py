"""Charts as inline SVG, drawn on the server: no script, no external asset,
no inline style (the content security policy allows neither), only
presentation attributes. Each chart has a title and a description for
assistive technology, a tooltip on every mark, and the same figures in the
table printed under it; suppressed values are drawn hatched and labelled.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

__all__ = ["bar_chart", "durations_chart", "funnel_chart"]

PALETTE = ("#0b3558", "#2a7ab0", "#6a8f2a", "#b35900", "#7a3e9d")
TEXT = "#1b1b1b"
GRID = "#c8ccd0"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _hatch(chart_id: str) -> str:
    return (
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{TEXT}" stroke-width="2"/>'
        "</pattern></defs>"
    )


def _frame(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{_hatch(chart_id)}"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def funnel_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
) -> SafeString:
    """Grouped vertical bars: one group per category (month), one bar per
    series (step of the funnel)."""
    width, height = 760, 300
    left, right, top, bottom = 48, 12, 40, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _name, vs in series for v in vs if v is not None]
    scale = _nice_max(max(values, default=0))
    desc = _(
        "Grouped bars by period for: %(series)s. Hatched marks are suppressed "
        "values. The same figures are in the table below."
    ) % {"series": ", ".join(name for name, _v in series)}
    parts = [_frame(chart_id, width, height, title, desc)]
    for tick in range(5):
        value = scale * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="{TEXT}">{_number(value)}</text>'
        )
    group_w = plot_w / max(len(categories), 1)
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 28), 2)
    for i, category in enumerate(categories):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for s, (name, vs) in enumerate(series):
            value = vs[i]
            x = x0 + s * bar_w
            if value is None:
                parts.append(
                    f'<rect x="{x:.1f}" y="{top + plot_h - 8:.1f}" width="{bar_w:.1f}" '
                    f'height="8" fill="url(#{chart_id}-hatch)">'
                    f"<title>{escape(category)}, {escape(name)}: "
                    f"{escape(_('suppressed'))}</title></rect>"
                )
                continue
            h = plot_h * value / scale
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(category)}, {escape(name)}: {value}</title></rect>"
            )
        parts.append(
            f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" fill="{TEXT}">{escape(category)}</text>'
        )
    x = left
    for s, (name, _vs) in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="10" width="12" height="12" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="20" fill="{TEXT}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, float | None]],
    *,
    unit: str = "",
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars with their values written at the end."""
    row_h, left, right, top = 26, 210, 90, 8
    width = 760
    height = top * 2 + row_h * max(len(bars), 1)
    values = [v for _label, v in bars if v is not None]
    scale = maximum or _nice_max(max(values, default=0))
    plot_w = width - left - right
    desc = _(
        "Horizontal bars, one per category; suppressed values are hatched and "
        "labelled. The same figures are in the table below."
    )
    parts = [_frame(chart_id, width, height, title, desc)]
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        if value is None:
            parts.append(
                f'<rect x="{left}" y="{y + 5}" width="24" height="16" '
                f'fill="url(#{chart_id}-hatch)"/>'
                f'<text x="{left + 30}" y="{y + 17}" fill="{TEXT}">'
                f"{escape(_('suppressed'))}</text>"
            )
            continue
        w = plot_w * value / scale if scale else 0
        shown = f"{_number(value)}{unit}"
        parts.append(
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="16" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(shown)}</title>'
            f'</rect><text x="{left + w + 6:.1f}" y="{y + 17}" fill="{TEXT}">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def durations_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float | None, float | None]],
) -> SafeString:
    """A bar to the median and a tick at the 90th percentile, per interval."""
    row_h, left, right, top = 30, 260, 200, 8
    width = 760
    height = top * 2 + row_h * max(len(rows), 1)
    values = [v for _l, m, p in rows for v in (m, p) if v is not None]
    scale = _nice_max(max(values, default=0))
    plot_w = width - left - right
    desc = _(
        "For each step, a bar to the median number of days and a tick at the "
        "90th percentile; groups too small to publish are labelled suppressed. "
        "The same figures are in the table below."
    )
    parts = [_frame(chart_id, width, height, title, desc)]
    for i, (label, median, p90) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        if median is None or p90 is None:
            parts.append(
                f'<rect x="{left}" y="{y + 7}" width="24" height="16" '
                f'fill="url(#{chart_id}-hatch)"/>'
                f'<text x="{left + 30}" y="{y + 19}" fill="{TEXT}">'
                f"{escape(_('suppressed'))}</text>"
            )
            continue
        w, tick = plot_w * median / scale, plot_w * p90 / scale
        text = _("median %(median)s, 90%%: %(p90)s days") % {
            "median": _number(median),
            "p90": _number(p90),
        }
        parts.append(
            f'<rect x="{left}" y="{y + 7}" width="{w:.1f}" height="16" '
            f'fill="{PALETTE[1]}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<line x1="{left + tick:.1f}" x2="{left + tick:.1f}" y1="{y + 3}" '
            f'y2="{y + 27}" stroke="{TEXT}" stroke-width="2"/>'
            f'<text x="{left + max(w, tick) + 6:.1f}" y="{y + 19}" fill="{TEXT}">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
