"""Geometry for the dashboard's inline SVG bar chart, computed here rather than in a template."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        """Where the count sits, just above the bar."""
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float  # y of the x axis; day labels go below it, counts above each bar
    bars: list[Bar]

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def busiest(self) -> Bar | None:
        """The first day with the most completions, if any day had one."""
        best = max(self.bars, key=lambda bar: bar.count, default=None)
        return best if best and best.count else None

    @property
    def label_y(self) -> float:
        """Where the day labels sit, below the axis."""
        return self.baseline + 14

    @property
    def first_day(self) -> date | None:
        return self.bars[0].day if self.bars else None

    @property
    def last_day(self) -> date | None:
        return self.bars[-1].day if self.bars else None


def bar_chart(
    points: Sequence[tuple[date, int]],
    *,
    width: int = 420,
    height: int = 160,
    gap: float = 6,
    top: float = 16,
    bottom: float = 20,
) -> BarChart:
    """One bar per (day, count), scaled so the busiest day fills the plot height."""
    baseline = height - bottom
    plot_height = baseline - top
    peak = max((count for _, count in points), default=0)
    slot = width / len(points) if points else width
    bars = []
    for index, (day, count) in enumerate(points):
        bar_height = round(plot_height * count / peak, 1) if peak else 0.0
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(index * slot + gap / 2, 1),
                y=round(baseline - bar_height, 1),
                width=round(slot - gap, 1),
                height=bar_height,
            )
        )
    return BarChart(width=width, height=height, baseline=baseline, bars=bars)
