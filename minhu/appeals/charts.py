"""Charts drawn on the server as inline SVG: no chart library, nothing from another host, no script.

These functions only compute geometry (in the units of the SVG's viewBox); the templates
`appeals/_chart_*.html` draw it, so every label passes through the template engine's escaping, and colours
come from CSS classes in static/css/minhu.css (the content security policy allows nothing else). Each chart
sits beside a table of the same figures, which is what a screen reader reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 480  # viewBox width; the SVG is scaled to its container
LABEL_WIDTH = 150  # room for the labels left of horizontal bars
ROW = 26  # height of one horizontal bar's row
BAR = 16  # thickness of a horizontal bar
PLOT_HEIGHT = 160  # height of the plot area of the monthly charts
TOP = 12  # room above the plot (for the highest tick label)
BOTTOM = 24  # room below the plot (for the month labels)
LEFT = 40  # room left of the plot (for the tick labels)
RIGHT = 12


def _short(label: str, n: int = 12) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most `ticks` steps up to `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(max(m * power, 1))
    return float(10 * power)  # pragma: no cover -- the loop always returns


@dataclass(frozen=True)
class HBar:
    label: str
    full_label: str
    value: int
    y: float
    width: float
    text_y: float
    value_x: float


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[HBar]

    @property
    def label_x(self) -> int:
        return self.label_width - 6


def hbar_chart(items: Sequence[tuple[str, int]]) -> HBarChart:
    """Horizontal bars, one per (label, count), scaled to the largest count."""
    plot = WIDTH - LABEL_WIDTH - 50
    top = max((v for _, v in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * ROW + (ROW - BAR) / 2
        width = round(plot * value / top, 1)
        bars.append(
            HBar(
                label=_short(label),
                full_label=label,
                value=value,
                y=y,
                width=width,
                text_y=y + BAR - 3,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return HBarChart(
        width=WIDTH, height=max(len(items), 1) * ROW, label_width=LABEL_WIDTH, bar_height=BAR, bars=bars
    )


@dataclass(frozen=True)
class Tick:
    y: float
    label: str

    @property
    def text_y(self) -> float:
        return round(self.y + 4, 1)


@dataclass(frozen=True)
class Column:
    label: str
    full_label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    ticks: list[Tick]
    columns: list[Column]

    @property
    def label_y(self) -> float:
        return self.bottom + 16

    @property
    def tick_x(self) -> int:
        return self.left - 4


def _month_label(label: str, first: bool) -> str:
    """ "2026-03" → "3" (with the year on January and on the first column: "2026-1")."""
    year, month = label.split("-")
    return f"{year}-{int(month)}" if first or month == "01" else str(int(month))


def column_chart(items: Sequence[tuple[str, int]]) -> ColumnChart:
    """Vertical columns for counts per month (labels "YYYY-MM"), on a round scale."""
    n = max(len(items), 1)
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / n
    step = nice_step(max((v for _, v in items), default=0))
    top_value = step * max(math.ceil(max((v for _, v in items), default=0) / step), 1)
    bottom = TOP + PLOT_HEIGHT
    ticks = [
        Tick(y=round(bottom - PLOT_HEIGHT * k * step / top_value, 1), label=f"{k * step:g}")
        for k in range(int(top_value / step) + 1)
    ]
    columns = []
    for i, (label, value) in enumerate(items):
        h = round(PLOT_HEIGHT * value / top_value, 1)
        x = LEFT + i * slot + slot * 0.15
        columns.append(
            Column(
                label=_month_label(label, i == 0),
                full_label=label,
                value=value,
                x=round(x, 1),
                y=round(bottom - h, 1),
                width=round(slot * 0.7, 1),
                height=h,
                label_x=round(LEFT + i * slot + slot / 2, 1),
            )
        )
    return ColumnChart(
        width=WIDTH,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        ticks=ticks,
        columns=columns,
    )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: Decimal
    label: str


@dataclass(frozen=True)
class Line:
    name: str  # the CSS class suffix: line-<name>
    title: str
    segments: list[str]  # "x,y x,y …" runs of consecutive months that have a value
    points: list[Point]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    ticks: list[Tick]
    labels: list[tuple[float, str]]
    lines: list[Line]

    @property
    def label_y(self) -> float:
        return self.bottom + 16

    @property
    def tick_x(self) -> int:
        return self.left - 4


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[Decimal | None]]]
) -> LineChart:
    """Percentages (0–100) per month, one line per (name, title, values). A month without a value (no
    denominator) is a gap in the line, never a drop to 0."""
    n = max(len(labels), 1)
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / n
    bottom = TOP + PLOT_HEIGHT

    def x_of(i: int) -> float:
        return round(LEFT + i * slot + slot / 2, 1)

    def y_of(v: Decimal) -> float:
        return round(bottom - PLOT_HEIGHT * float(v) / 100, 1)

    lines = []
    for name, title, values in series:
        segments: list[str] = []
        run: list[str] = []
        points = []
        for i, v in enumerate(values):
            if v is None:
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            run.append(f"{x_of(i)},{y_of(v)}")
            points.append(Point(x=x_of(i), y=y_of(v), value=v, label=labels[i]))
        if run:
            segments.append(" ".join(run))
        lines.append(Line(name=name, title=title, segments=[s for s in segments if " " in s], points=points))
    return LineChart(
        width=WIDTH,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        ticks=[Tick(y=round(bottom - PLOT_HEIGHT * p / 100, 1), label=f"{p}%") for p in (0, 25, 50, 75, 100)],
        labels=[(x_of(i), _month_label(label, i == 0)) for i, label in enumerate(labels)],
        lines=lines,
    )
