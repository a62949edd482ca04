"""The score over time as an inline SVG drawn on the server (no JavaScript): a step line
from each recorded change to the next and on to now, with gaps while there was no score,
and a sentence that says the same for screen readers and for anyone who prefers text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 10, 24


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    at: datetime
    score: int


@dataclass(frozen=True)
class Gridline:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    paths: tuple[str, ...]
    dots: tuple[Dot, ...]
    gridlines: tuple[Gridline, ...]
    start_label: str
    end_label: str
    plot_left: int
    plot_right: int
    axis_y: int
    summary: str
    points: tuple[tuple[datetime, int | None], ...]

    @property
    def empty(self) -> bool:
        return not self.points


def _y(score: int) -> float:
    return round(TOP + (100 - score) * (HEIGHT - TOP - BOTTOM) / 100, 1)


def _date(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}, {moment.year}"


def percent_text(score: int | None) -> str:
    """A score in words, as the explanation writes it: "no score yet" for None, never 0%."""
    return "no score yet" if score is None else f"{score}%"


def summary(points: Sequence[tuple[datetime, int | None]]) -> str:
    if not points:
        return "Your score has not changed yet: the history starts with its first change."
    scores = [score for _, score in points if score is not None]
    first_at, first = points[0]
    _, last = points[-1]
    text = (
        f"{len(points)} change{'s' if len(points) != 1 else ''} since {_date(first_at)}: "
        f"from {percent_text(first)} to {percent_text(last)}."
    )
    if scores:
        text += f" Highest {max(scores)}%, lowest {min(scores)}%."
    return text


def score_chart(points: Sequence[tuple[datetime, int | None]], *, now: datetime) -> Chart:
    """`points` are (when, score after the change), oldest first."""
    right = WIDTH - RIGHT
    gridlines = tuple(Gridline(y=_y(score), label=f"{score}%") for score in (0, 50, 100))
    if not points:
        return Chart(
            WIDTH, HEIGHT, (), (), gridlines, "", "", LEFT, right, HEIGHT - BOTTOM, summary([]), ()
        )
    start = points[0][0]
    end = max(now, points[-1][0])
    span = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        if span <= 0:
            return float(LEFT)
        return round(LEFT + (moment - start).total_seconds() * (right - LEFT) / span, 1)

    paths: list[str] = []
    dots: list[Dot] = []
    current: list[str] = []
    for index, (at, score) in enumerate(points):
        until = points[index + 1][0] if index + 1 < len(points) else end
        if score is None:
            if current:
                paths.append(" ".join(current))
                current = []
            continue
        y = _y(score)
        current.append(f"{'L' if current else 'M'}{x(at)} {y}")
        current.append(f"L{x(until)} {y}")
        dots.append(Dot(x=x(at), y=y, at=at, score=score))
    if current:
        paths.append(" ".join(current))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        paths=tuple(paths),
        dots=tuple(dots),
        gridlines=gridlines,
        start_label=_date(start),
        end_label=_date(end),
        plot_left=LEFT,
        plot_right=right,
        axis_y=HEIGHT - BOTTOM,
        summary=summary(points),
        points=tuple(points),
    )
