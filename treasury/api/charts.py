"""Hand-written server-side SVG charts for the treasurer's pages (no script, no library).

Each chart is an inline `<svg>` with a `viewBox`, so it scales to the page's width, a `<title>`
and `aria-label` for screen readers, a `<title>` per mark (the browser's tooltip) and `data-*`
attributes carrying the exact figures shown (what the end-to-end tests read). Colours come from
classes in the stylesheet: the pages' Content-Security-Policy allows no inline style. Geometry is
computed in Decimal (the service traps float mixing) and written to one decimal place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from markupsafe import Markup, escape

WIDTH = Decimal(640)
LABEL_HEIGHT = Decimal(30)  # a row's text line (the stylesheet sets 15-24 units of text)
TEXT_BASELINE = Decimal(22)
BAR_HEIGHT = Decimal(18)
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + Decimal(12)
TENTH = Decimal("0.1")
LADDER_WIDTH = Decimal(480)


def _n(value: Decimal) -> str:
    """A coordinate to one decimal place."""
    return str(value.quantize(TENTH, rounding=ROUND_HALF_EVEN))


def _attrs(**values: object) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
    )


def _svg(kind: str, title: str, height: Decimal, body: list[str], width: Decimal = WIDTH) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(kind)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title)}" '
        f'data-chart="{escape(kind)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


@dataclass(frozen=True)
class Bar:
    """One bar: its key, a label, the value it is drawn to and the text shown beside it."""

    key: str
    label: str
    value: Decimal
    text: str
    tone: str = ""


def bar_chart(kind: str, title: str, bars: Sequence[Bar]) -> Markup:
    """A row per bar: its label and figure on a line, the bar under them from a zero axis
    (negative values to its left), so the labels keep the chart's whole width on a phone."""
    if not bars:
        return _svg(kind, title, Decimal(40), ['<text x="0" y="24" class="muted">—</text>'])
    low = min(Decimal(0), *(b.value for b in bars))
    high = max(Decimal(0), *(b.value for b in bars))
    span = (high - low) or Decimal(1)
    zero = WIDTH * (-low) / span
    body = []
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT
        length = WIDTH * abs(bar.value) / span
        x = zero - length if bar.value < 0 else zero
        tone = bar.tone or ("negative" if bar.value < 0 else "positive")
        body.append(
            f'<g class="bar" {_attrs(data_key=bar.key, data_value=bar.text)}>'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title>"
            f'<text x="0" y="{_n(y + TEXT_BASELINE)}" class="label">'
            f"{escape(bar.label[:40])}</text>"
            f'<text x="{_n(WIDTH)}" y="{_n(y + TEXT_BASELINE)}" class="value" '
            f'text-anchor="end">{escape(bar.text)}</text>'
            f'<rect x="{_n(x)}" y="{_n(y + LABEL_HEIGHT)}" width="{_n(max(length, Decimal(1)))}" '
            f'height="{_n(BAR_HEIGHT)}" class="{tone}"/></g>'
        )
    height = len(bars) * ROW_HEIGHT
    body.append(f'<line x1="{_n(zero)}" y1="0" x2="{_n(zero)}" y2="{_n(height)}" class="axis"/>')
    return _svg(kind, title, height, body)


@dataclass(frozen=True)
class LadderPoint:
    """One day of one currency's ladder, in the currency's units."""

    day: str
    label: str
    inflows: Decimal
    outflows: Decimal
    closing: Decimal
    business_day: bool


def ladder_chart(title: str, currency: str, points: Sequence[LadderPoint]) -> Markup:
    """Inflows up and outflows down per day (bars), the closing balance as a line over them."""
    width, height, top, bottom = LADDER_WIDTH, Decimal(240), Decimal(16), Decimal(40)
    plot_h = height - top - bottom
    left = Decimal(8)
    values = [Decimal(0)]
    for p in points:
        values += [p.inflows, -p.outflows, p.closing]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)

    def y_of(value: Decimal) -> Decimal:
        return top + plot_h * (high - value) / span

    step = (width - left * 2) / max(len(points), 1)
    bar_w = step * Decimal("0.35")
    zero = y_of(Decimal(0))
    every = -(-len(points) // 16)  # at most 16 day labels
    body = [f'<line x1="0" y1="{_n(zero)}" x2="{_n(width)}" y2="{_n(zero)}" class="axis"/>']
    line = []
    for index, p in enumerate(points):
        x = left + step * index
        centre = x + step / 2
        shade = "" if p.business_day else " holiday"
        body.append(
            f'<g class="day{shade}" {_attrs(data_day=p.day, data_currency=currency)} '
            f"{_attrs(data_inflows=p.inflows, data_outflows=p.outflows, data_closing=p.closing)}>"
            f"<title>{escape(p.day)} {escape(currency)}: +{escape(str(p.inflows))} "
            f"−{escape(str(p.outflows))} → {escape(str(p.closing))}</title>"
            f'<rect x="{_n(centre - bar_w)}" y="{_n(y_of(p.inflows))}" width="{_n(bar_w)}" '
            f'height="{_n(max(zero - y_of(p.inflows), Decimal(0)))}" class="positive"/>'
            f'<rect x="{_n(centre)}" y="{_n(zero)}" width="{_n(bar_w)}" '
            f'height="{_n(max(y_of(-p.outflows) - zero, Decimal(0)))}" class="negative"/>'
            f'<text x="{_n(centre)}" y="{_n(height - 22)}" class="tick" '
            f'text-anchor="middle">{escape(p.label if index % every == 0 else "")}</text></g>'
        )
        line.append(f"{_n(centre)},{_n(y_of(p.closing))}")
    body.append(f'<polyline points="{" ".join(line)}" class="closing"/>')
    body.append(
        f'<text x="{_n(left)}" y="{_n(height - 4)}" class="muted">{escape(currency)} · '
        "bars: in ↑ / out ↓ · line: closing 收盘余额</text>"
    )
    return _svg("ladder", title, height, body, width)


@dataclass(frozen=True)
class Band:
    """A value against a target band (a quota's use against its limit; a hedge ratio against
    its policy), drawn on a 0 … `scale` axis."""

    key: str
    label: str
    value: Decimal
    low: Decimal
    high: Decimal
    scale: Decimal
    text: str
    ok: bool


def band_chart(kind: str, title: str, bands: Sequence[Band]) -> Markup:
    """A row per value: label and figure on a line, under them a track with the band shaded and
    the value as a bar, green inside the band, red outside."""
    if not bands:
        return _svg(kind, title, Decimal(40), ['<text x="0" y="24" class="muted">—</text>'])
    body = []
    for index, band in enumerate(bands):
        y = index * ROW_HEIGHT
        scale = band.scale or Decimal(1)

        def x_of(value: Decimal, scale: Decimal = scale) -> Decimal:
            return WIDTH * min(max(value, Decimal(0)), scale) / scale

        bar_y = y + LABEL_HEIGHT
        body.append(
            f'<g class="band" {_attrs(data_key=band.key, data_value=band.text)} '
            f"{_attrs(data_ok=str(band.ok).lower())}>"
            f"<title>{escape(band.label)}: {escape(band.text)}</title>"
            f'<text x="0" y="{_n(y + TEXT_BASELINE)}" class="label">'
            f"{escape(band.label[:40])}</text>"
            f'<text x="{_n(WIDTH)}" y="{_n(y + TEXT_BASELINE)}" class="value" '
            f'text-anchor="end">{escape(band.text)}</text>'
            f'<rect x="0" y="{_n(bar_y)}" width="{_n(WIDTH)}" '
            f'height="{_n(BAR_HEIGHT)}" class="track"/>'
            f'<rect x="{_n(x_of(band.low))}" y="{_n(bar_y)}" '
            f'width="{_n(x_of(band.high) - x_of(band.low))}" height="{_n(BAR_HEIGHT)}" '
            f'class="target"/>'
            f'<rect x="0" y="{_n(bar_y + 4)}" '
            f'width="{_n(max(x_of(band.value), Decimal(1)))}" '
            f'height="{_n(BAR_HEIGHT - 8)}" class="{"positive" if band.ok else "negative"}"/></g>'
        )
    return _svg(kind, title, len(bands) * ROW_HEIGHT, body)
