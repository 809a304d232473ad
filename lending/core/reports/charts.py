"""Chart.js charts for a report page, as data: the page embeds them with ``json_script`` and static/js/reports.js draws
them (the Content-Security-Policy forbids inline scripts). A report returns ``Chart`` objects from ``get_charts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

BAR = "bar"
LINE = "line"
PIE = "pie"
DOUGHNUT = "doughnut"
CHART_TYPES = (BAR, LINE, PIE, DOUGHNUT)


@dataclass(frozen=True)
class Dataset:
    label: str
    data: Sequence[Decimal | int | float | None]
    kind: str | None = None  # a line drawn over bars, etc.; the chart's kind when None


@dataclass(frozen=True)
class Chart:
    """One chart: ``id`` names its <canvas> (unique on the page)."""

    id: str
    title: str
    labels: Sequence[str]
    datasets: Sequence[Dataset]
    kind: str = BAR
    y_title: str = ""
    stacked: bool = False
    money: bool = False  # ticks and tooltips as dollars
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in CHART_TYPES:
            raise ValueError(f"kind: {self.kind!r} is not one of {CHART_TYPES}")

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for Chart.js: the numbers as floats (a drawing, not an amount anyone adds up)."""
        return {
            "id": self.id,
            "title": self.title,
            "type": self.kind,
            "labels": [str(label) for label in self.labels],
            "datasets": [
                {
                    "label": dataset.label,
                    "data": [None if value is None else float(value) for value in dataset.data],
                    **({"type": dataset.kind} if dataset.kind else {}),
                }
                for dataset in self.datasets
            ],
            "yTitle": self.y_title,
            "stacked": self.stacked,
            "money": self.money,
            **self.extra,
        }
