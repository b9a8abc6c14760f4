"""The report's progress chart: developmental band against chronological age, per area.

Written as plain SVG (no plotting library) so the PDF stays reproducible and offline. Each
tracking assessment is a vertical bar from the band's lower to its upper age (months) at
the child's chronological age, with a marker at mid-band; one line per area joins them in
time order. The dashed diagonal is where developmental age equals chronological age, so
the distance below it is the delay. Areas differ by colour *and* marker shape, so the
chart still reads in greyscale print and for colour-blind readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from domain.vocabulary import AREAS

WIDTH = 680
PLOT_HEIGHT = 300
LEFT, RIGHT, TOP, AXIS_BELOW = 64, 20, 14, 46
LEGEND_ROW = 20
# Okabe-Ito based, darkened where needed: every colour at least 3:1 against white (WCAG 1.4.11).
COLOURS = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#A8508C",
    "#7A5C00",
    "#000000",
    "#882255",
    "#2E7D70",
    "#332288",
]
SHAPES = [
    "circle",
    "square",
    "triangle",
    "diamond",
    "triangle-down",
    "circle-open",
    "square-open",
    "triangle-open",
    "diamond-open",
]
AREA_ORDER = list(AREAS)


@dataclass(frozen=True)
class TrackingPoint:
    """One tracking assessment, as the chart and its table show it."""

    version: int
    on: str
    area: str
    area_label: str
    band: str
    months_low: int
    months_high: int
    chronological_months: int

    @property
    def mid(self) -> float:
        return (self.months_low + self.months_high) / 2

    @property
    def gap(self) -> float:
        """Months by which mid-band trails chronological age (negative: ahead)."""
        return self.chronological_months - self.mid


def tracking_points(chronology_entries: Iterable[dict[str, Any]]) -> list[TrackingPoint]:
    """The chart's data: TrackingAssessed entries not marked as mistaken, in time order."""
    points = [
        TrackingPoint(
            version=int(e["version"]),
            on=str(e["occurred_at"])[:10],
            area=str(e["details"]["area"]),
            area_label=AREAS.label(str(e["details"]["area"])),
            band=str(e["details"].get("band", "")),
            months_low=int(e["details"]["months_low"]),
            months_high=int(e["details"]["months_high"]),
            chronological_months=int(e["details"]["chronological_months"]),
        )
        for e in chronology_entries
        if e["kind"] == "TrackingAssessed" and not e.get("mistaken")
    ]
    return sorted(points, key=lambda p: (p.on, p.version))


def _areas(points: Sequence[TrackingPoint]) -> list[str]:
    """Areas in vocabulary order (unknown codes last, by name): same area, same style."""
    present = {p.area for p in points}
    known = [a for a in AREA_ORDER if a in present]
    return known + sorted(present - set(known))


def _ticks(low: float, high: float) -> tuple[int, int, int]:
    """A tick step and the axis range rounded out to it (at most about ten ticks)."""
    span = max(high - low, 1)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if span / s <= 10), 48)
    start = int(low // step) * step
    stop = -int(-high // step) * step
    return step, start, max(stop, start + step)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    """A marker of about 9px at (x, y); '-open' shapes are hollow."""
    fill = "#ffffff" if shape.endswith("-open") else colour
    base = shape.removesuffix("-open")
    paint = f'fill="{fill}" stroke="{colour}" stroke-width="1.6"'
    if base == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4.5" {paint}/>'
    if base == "square":
        return f'<rect x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8" {paint}/>'
    offsets = {
        "triangle": [(0, -5.5), (5, 4), (-5, 4)],
        "triangle-down": [(0, 5.5), (5, -4), (-5, -4)],
        "diamond": [(0, -5.5), (5, 0), (0, 5.5), (-5, 0)],
    }[base]
    path = " ".join(f"{_num(x + dx)},{_num(y + dy)}" for dx, dy in offsets)
    return f'<polygon points="{path}" {paint}/>'


def progress_chart(points: Sequence[TrackingPoint], *, title: str) -> Markup:
    """The SVG (safe to embed: every text in it is escaped here)."""
    areas = _areas(points)
    legend_items = [*areas, "__typical__"]
    legend_rows = -(-len(legend_items) // 2)
    height = TOP + PLOT_HEIGHT + AXIS_BELOW + legend_rows * LEGEND_ROW + 8
    plot_w = WIDTH - LEFT - RIGHT

    ages = [p.chronological_months for p in points]
    # At least a year across, so one or two assessments are not stretched over the width.
    middle, half = (min(ages) + max(ages)) / 2, max((max(ages) - min(ages)) / 2 + 2, 6)
    x_step, x0, x1 = _ticks(middle - half, middle + half)
    y_low = min([p.months_low for p in points] + [x0])
    y_high = max([p.months_high for p in points] + [x1])
    y_step, y0, y1 = _ticks(y_low, y_high)

    def sx(v: float) -> float:
        return LEFT + (v - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        return TOP + PLOT_HEIGHT - (v - y0) / (y1 - y0) * PLOT_HEIGHT

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="chart-title" '
        'font-family="DejaVu Sans, Arial, sans-serif">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{PLOT_HEIGHT}" fill="#ffffff" '
        'stroke="#595959" stroke-width="1"/>',
    ]
    out += _grid(x0, x1, x_step, y0, y1, y_step, sx, sy)
    # Typical development: developmental age equals chronological age (clipped to the plot).
    d0, d1 = max(x0, y0), min(x1, y1)
    if d1 > d0:
        out.append(
            f'<line x1="{_num(sx(d0))}" y1="{_num(sy(d0))}" x2="{_num(sx(d1))}" '
            f'y2="{_num(sy(d1))}" stroke="#595959" stroke-width="1.4" stroke-dasharray="6 4"/>'
        )
    dodge = 7.0
    for i, area in enumerate(areas):
        colour, shape = COLOURS[i % len(COLOURS)], SHAPES[i % len(SHAPES)]
        shift = (i - (len(areas) - 1) / 2) * dodge
        mine = [p for p in points if p.area == area]
        if len(mine) > 1:
            line = " ".join(
                f"{_num(sx(p.chronological_months) + shift)},{_num(sy(p.mid))}" for p in mine
            )
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
            )
        for p in mine:
            x = sx(p.chronological_months) + shift
            out.append(
                f"<g><title>{escape(p.area_label)}, {escape(p.on)}: band "
                f"{p.months_low}-{p.months_high} months at {p.chronological_months} months "
                f"(entry {p.version})</title>"
                f'<rect x="{_num(x - 3.5)}" y="{_num(sy(p.months_high))}" width="7" '
                f'height="{_num(max(sy(p.months_low) - sy(p.months_high), 1))}" '
                f'fill="{colour}" fill-opacity="0.22" stroke="{colour}" stroke-width="1"/>'
                f"{_marker(shape, x, sy(p.mid), colour)}</g>"
            )
    out += _axis_titles(plot_w)
    out += _legend(areas, TOP + PLOT_HEIGHT + AXIS_BELOW + 6, plot_w)
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above


def _grid(
    x0: int, x1: int, x_step: int, y0: int, y1: int, y_step: int, sx: Any, sy: Any
) -> list[str]:
    parts = []
    bottom = TOP + PLOT_HEIGHT
    for v in range(x0, x1 + 1, x_step):
        x = _num(sx(v))
        parts.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}" stroke="#d9d9d9"/>')
        parts.append(
            f'<text x="{x}" y="{bottom + 16}" font-size="11" text-anchor="middle" '
            f'fill="#1a1a1a">{v}</text>'
        )
    for v in range(y0, y1 + 1, y_step):
        y = _num(sy(v))
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#d9d9d9"/>')
        parts.append(
            f'<text x="{LEFT - 7}" y="{_num(sy(v) + 4)}" font-size="11" '
            f'text-anchor="end" fill="#1a1a1a">{v}</text>'
        )
    return parts


def _axis_titles(plot_w: int) -> list[str]:
    mid_y = TOP + PLOT_HEIGHT / 2
    return [
        f'<text x="{_num(LEFT + plot_w / 2)}" y="{TOP + PLOT_HEIGHT + 36}" font-size="12" '
        'text-anchor="middle" fill="#1a1a1a">Chronological age (months)</text>',
        f'<text x="18" y="{_num(mid_y)}" font-size="12" text-anchor="middle" fill="#1a1a1a" '
        f'transform="rotate(-90 18 {_num(mid_y)})">Developmental band (months)</text>',
    ]


def _legend(areas: Sequence[str], top: float, plot_w: int) -> list[str]:
    """Two columns under the plot; the last item explains the dashed diagonal."""
    parts = []
    column = plot_w / 2
    items = [*areas, "__typical__"]
    for n, area in enumerate(items):
        x = LEFT + (n % 2) * column
        y = top + (n // 2) * LEGEND_ROW
        if area == "__typical__":
            parts.append(
                f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" '
                'stroke="#595959" stroke-width="1.4" stroke-dasharray="6 4"/>'
            )
            label = "Developmental age = chronological age"
        else:
            i = areas.index(area)
            colour, shape = COLOURS[i % len(COLOURS)], SHAPES[i % len(SHAPES)]
            parts.append(
                f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" '
                f'stroke="{colour}" stroke-width="1.8"/>' + _marker(shape, x + 11, y, colour)
            )
            label = AREAS.label(area)
        parts.append(
            f'<text x="{_num(x + 30)}" y="{_num(y + 4)}" font-size="11" fill="#1a1a1a">'
            f"{escape(label)}</text>"
        )
    return parts
