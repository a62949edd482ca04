"""Bar charts drawn on the server as inline SVG (no JavaScript, no build step): a few series
side by side for each period, scaled to a round top, with the numbers behind them for a
table and a sentence for screen readers. Values are cents (shown as money) or, with
`money=False`, plain counts. The template `web/_bar_chart.html` draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

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
    money: bool = True
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    axis_y: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(any(s.values) for s in self.series)

    @property
    def rows(self) -> list[tuple[str, list[Money | int]]]:
        """The table behind the chart: each label with its series' values."""
        return [
            (label, [_value(s.values[index], self.money) for s in self.series])
            for index, label in enumerate(self.labels)
        ]


def _value(value: int, money: bool) -> Money | int:
    return Money(value) if money else value


def _text(value: int, money: bool) -> str:
    return str(Money(value)) if money else f"{value:,}"


def _round_top(highest: int, *, smallest: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten, from `smallest` up, at or above
    `highest` (a dollar, 100 cents, for money; 1 for counts)."""
    top = smallest
    while True:
        for step in (1, 2, 5):
            if top * step >= highest:
                return top * step
        top *= 10


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    money: bool = True,
    summary: str = "",
) -> BarChart:
    """`summary` says what the chart shows in words; by default, each series' total."""
    highest = max((v for s in series for v in s.values), default=0)
    top = _round_top(max(highest, 1), smallest=100 if money else 1)
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
                    title=f"{label}: {one.name} {_text(one.values[index], money)}",
                )
            )
    gridlines = tuple(
        Gridline(
            y=round(HEIGHT - BOTTOM - plot_height * part / 2, 1),
            label=f"${top * part // 2 // 100:,}" if money else f"{top * part // 2:,}",
        )
        for part in (0, 1, 2)
    )
    totals = ", ".join(f"{s.name} {_text(sum(s.values), money)}" for s in series)
    summary = summary or (
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
        money=money,
    )


def month_starts(now: datetime, count: int) -> list[date]:
    """The first days of the last `count` months, oldest first, `now`'s month included."""
    year, month = now.year, now.month
    firsts = []
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts[::-1]
