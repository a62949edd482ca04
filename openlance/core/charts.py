"""Bar charts drawn on the server as inline SVG (no JavaScript, no build step): a few series
side by side for each period, scaled to a round top, with the numbers behind them for a
table and a sentence for screen readers. The template `web/_bar_chart.html` draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openlance.core.money import Money

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 10, 28
COLOURS = ("#0f766e", "#b45309", "#4338ca")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]  # cents, one per label


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Gridline:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    bars: tuple[Bar, ...]
    gridlines: tuple[Gridline, ...]
    axis_labels: tuple[tuple[float, str], ...]  # (x, label) under each period
    legend: tuple[tuple[str, str], ...]
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    axis_y: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(any(s.values) for s in self.series)

    @property
    def rows(self) -> list[tuple[str, list[Money]]]:
        """The table behind the chart: each label with its series' values."""
        return [
            (label, [Money(s.values[index]) for s in self.series])
            for index, label in enumerate(self.labels)
        ]


def _round_top(highest: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten dollars (in cents) at or above `highest`."""
    top = 100
    while True:
        for step in (1, 2, 5):
            if top * step >= highest:
                return top * step
        top *= 10


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> BarChart:
    highest = max((v for s in series for v in s.values), default=0)
    top = _round_top(max(highest, 1))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - RIGHT - LEFT) / max(len(labels), 1)
    bar_width = slot * 0.8 / max(len(series), 1)
    bars: list[Bar] = []
    for index, label in enumerate(labels):
        for number, one in enumerate(series):
            value = max(one.values[index], 0)
            height = round(value * plot_height / top, 1)
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + slot * 0.1 + number * bar_width, 1),
                    y=round(HEIGHT - BOTTOM - height, 1),
                    width=round(bar_width, 1),
                    height=height,
                    colour=COLOURS[number % len(COLOURS)],
                    title=f"{label}: {one.name} {Money(one.values[index])}",
                )
            )
    gridlines = tuple(
        Gridline(
            y=round(HEIGHT - BOTTOM - plot_height * part / 2, 1),
            label=f"${top * part // 2 // 100:,}",
        )
        for part in (0, 1, 2)
    )
    totals = ", ".join(f"{s.name} {Money(sum(s.values))}" for s in series)
    summary = (
        f"{title}, {labels[0]} to {labels[-1]}: {totals} in all."
        if labels
        else f"{title}: nothing yet."
    )
    return BarChart(
        title=title,
        labels=tuple(labels),
        series=tuple(series),
        bars=tuple(bars),
        gridlines=gridlines,
        axis_labels=tuple(
            (round(LEFT + (index + 0.5) * slot, 1), label) for index, label in enumerate(labels)
        ),
        legend=tuple((s.name, COLOURS[n % len(COLOURS)]) for n, s in enumerate(series)),
        summary=summary,
    )
