"""The score-over-time chart: a step line with gaps while there was no score, drawn to now,
and the same facts as a sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openlance.reputation.chart import score_chart

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_no_history_is_an_empty_chart_with_a_sentence():
    chart = score_chart([], now=T0)
    assert chart.empty
    assert chart.paths == ()
    assert "has not changed yet" in chart.summary


def test_steps_gaps_and_summary():
    points = [
        (T0, None),
        (T0 + timedelta(days=10), 80),
        (T0 + timedelta(days=20), None),
        (T0 + timedelta(days=30), 90),
    ]
    chart = score_chart(points, now=T0 + timedelta(days=40))
    assert len(chart.paths) == 2  # a gap while there was no score
    assert [dot.score for dot in chart.dots] == [80, 90]
    # 0% at the bottom of the plot, 100% at the top; the line runs on to now.
    assert chart.dots[1].y < chart.dots[0].y
    assert chart.paths[-1].endswith(f"L{float(chart.plot_right)} {chart.dots[1].y}")
    assert chart.summary == (
        "4 changes since Jan 1, 2026: from no score yet to 90%. Highest 90%, lowest 80%."
    )
    assert (chart.start_label, chart.end_label) == ("Jan 1, 2026", "Feb 10, 2026")


def test_a_single_change_today_is_drawn_at_the_left_edge():
    chart = score_chart([(T0, 100)], now=T0)
    assert chart.dots[0].x == chart.plot_left
    assert chart.summary.startswith("1 change since")
