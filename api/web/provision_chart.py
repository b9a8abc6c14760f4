"""The provision map's chart over time: cost per school term, as inline SVG.

Drawn on the server like the report's progress chart (exporters/report_chart.py), so it
shows without JavaScript and prints; the page puts the same figures in a table for
screen readers and anyone who prefers numbers.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from markupsafe import Markup, escape

from projections.terms import term_key

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 18, 58
BAR = "#1d5ea8"  # 6.6:1 against white
INK = "#0b0c0c"
GRID = "#d9d9d9"


def _step(top: Decimal) -> int:
    """A round step for the money axis: about five gridlines."""
    for step in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000):
        if top / step <= 6:
            return step
    return 100_000


def _short(term: str) -> str:
    """'autumn 2025/26' -> ('Aut', '25/26') as two lines under the bar."""
    season, _, year = term.partition(" ")
    return f"{season[:3].capitalize()}|{year[2:]}"


SEASONS = ("autumn", "spring", "summer")


def every_term(per_term: dict[str, str]) -> list[str]:
    """Every term from the first with a cost to the last (a term without provision is a
    gap in time, shown as an empty slot rather than left out)."""
    keys = [term_key(t) for t in per_term]
    first, last = min(keys), max(keys)
    terms = []
    year, season = first
    while (year, season) <= last:
        terms.append(f"{SEASONS[season]} {year}/{str(year + 1)[-2:]}")
        year, season = (year + 1, 0) if season == 2 else (year, season + 1)
    return terms


def cost_per_term_chart(per_term: dict[str, str], *, title: str) -> Markup:
    """Bars of cost per term, in time order (terms as the provision map names them)."""
    terms = every_term(per_term)
    costs = [Decimal(per_term.get(t, "0")) for t in terms]
    top = max([*costs, Decimal(1)])
    step = _step(top)
    ceiling = (top / step).to_integral_value(rounding=ROUND_CEILING) * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: Decimal) -> float:
        return TOP + plot_h - float(v / ceiling) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="cost-chart-title">',
        f'<title id="cost-chart-title">{escape(title)}</title>',
    ]
    for tick in range(0, int(ceiling) + 1, step):
        ty = y(Decimal(tick))
        out.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 8}" y="{ty + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{INK}">£{tick:,}</text>'
        )
    slot = plot_w / max(len(terms), 1)
    width = min(slot * 0.6, 70)
    for n, (term, cost) in enumerate(zip(terms, costs, strict=True)):
        x = LEFT + slot * n + (slot - width) / 2
        season, year = _short(term).split("|")
        out.append(
            f"<g><title>{escape(term)}: £{cost:,.2f}</title>"
            f'<rect x="{x:.1f}" y="{y(cost):.1f}" width="{width:.1f}" '
            f'height="{max(TOP + plot_h - y(cost), 0):.1f}" fill="{BAR}"/></g>'
            f'<text x="{x + width / 2:.1f}" y="{y(cost) - 5:.1f}" font-size="12" '
            f'text-anchor="middle" fill="{INK}">£{cost:,.0f}</text>'
            f'<text x="{x + width / 2:.1f}" y="{TOP + plot_h + 18}" font-size="12" '
            f'text-anchor="middle" fill="{INK}">{escape(season)}</text>'
            f'<text x="{x + width / 2:.1f}" y="{TOP + plot_h + 33}" font-size="12" '
            f'text-anchor="middle" fill="{INK}">{escape(year)}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{INK}"/>'
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 6}" font-size="12" text-anchor="middle" '
        f'fill="{INK}">School term (academic year)</text></svg>'
    )
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above
