"""Server-rendered SVG: bar charts and the map's offline fallback, light and readable without JS."""

from collections.abc import Sequence

from markupsafe import Markup
from markupsafe import escape as _escape

from core.types import printable

WIDTH = 480
LABEL_W = 215
ROW_H = 30
BAR_H = 22
FONT = 16
MUTED = "#555d66"


def escape(text: object) -> Markup:
    """Escaped for SVG, which as XML cannot hold control characters a stored name may have."""
    return _escape(printable(str(text)))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    number=str,
) -> Markup:
    """One horizontal bar per row, split into coloured segments; the total is written after it."""
    height = max(len(rows), 1) * ROW_H + 4
    biggest = max((sum(v for v, _c in parts) for _l, parts in rows), default=0) or 1
    span = WIDTH - LABEL_W - 56
    out = [_open(chart_id, height, title, desc)]
    for index, (label, parts) in enumerate(rows):
        y = index * ROW_H + 4
        out.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="{FONT}">'
            f"{escape(label)}</text>"
        )
        x = float(LABEL_W)
        for value, color in parts:
            if value <= 0:
                continue
            w = value / biggest * span
            out.append(
                f'<rect x="{_fmt(x)}" y="{y}" width="{_fmt(max(w, 1))}" height="{BAR_H}" '
                f'fill="{color}"/>'
            )
            x += w
        total = sum(v for v, _c in parts)
        out.append(
            f'<text x="{_fmt(x + 6)}" y="{y + 17}" font-size="{FONT}" fill="{MUTED}">'
            f"{escape(number(total))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def bars(
    chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, int, str]], number=str
) -> Markup:
    return stacked_bars(
        chart_id, title, desc, [(label, [(value, color)]) for label, value, color in rows], number
    )
