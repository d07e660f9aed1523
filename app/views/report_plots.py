"""Which reports have a chart, and which columns of their table it draws.

A chart reads the same `Table` the grid shows, through a `Plot` saying which column labels
the bars and which columns (or the values of one column) make the series. Reports of single
people or staff (SLA, at-risk, access) and of sums in different units (impact) have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models import STATES
from app.services.reports import Table
from app.services.reports.export import cell_text
from app.views.models.report_table import heading


@dataclass(frozen=True)
class Plot:
    category: str
    """The column whose values label the bars; a label met on several rows (a milestone of
    several cohorts) adds their values up."""
    values: tuple[str, ...] = ()
    """Columns drawn, one series each; or, with `pivot`, one series per value of that
    column, each drawing the `value` column."""
    pivot: str | None = None
    value: str = ""
    stacked: bool = False
    caption: str = ""
    order: tuple[str, ...] = ()
    """Series named here come first, in this order (states as the board orders them)."""
    only: tuple[str, Any] | None = None
    """Draw only the rows holding this value in this column."""


PLOTS: dict[str, Plot] = {
    "activity": Plot("milestone", values=STATES, stacked=True,
                     caption="Participants in each state, per milestone (cohorts added up)"),
    "cycle-time": Plot("milestone", pivot="state", value="median_days", order=STATES,
                       caption="Median days spent in each state, per milestone"),
    "time-in-milestone": Plot("milestone", pivot="who", value="median_days",
                              only=("by", "cohort"),
                              caption="Median days from open to complete, per milestone "
                                      "and cohort"),
    "funnel": Plot("gate", values=("reached", "passed"),
                   caption="Participants who reached and passed each gate"),
    "time-to-complete": Plot("cohort", values=("median_days", "p90_days"),
                             caption="Days to complete the program, per cohort"),
}


@dataclass(frozen=True)
class Series:
    name: str
    """As the table has it: a column, or a value of the pivot column (a state, a cohort)."""
    label: str
    values: list[float | None]
    """One per category; None where the series has nothing there."""


@dataclass(frozen=True)
class ChartData:
    categories: list[str]
    series: list[Series]
    stacked: bool
    caption: str

    @property
    def decimals(self) -> int:
        """Whole numbers (counts) shown whole; days to a tenth, all alike."""
        return 0 if all(v is None or v == int(v) for s in self.series for v in s.values) else 1


def chart_data(report: str, table: Table) -> ChartData | None:
    """What a report's chart draws, or None when it has none or nothing to draw."""
    plot = PLOTS.get(report)
    if plot is None:
        return None
    at = {column: number for number, column in enumerate(table.columns)}
    categories: dict[str, None] = {}
    names: dict[str, None] = dict.fromkeys(plot.values)
    sums: dict[tuple[str, str], float] = {}
    for row in table.rows:
        if plot.only is not None and row[at[plot.only[0]]] != plot.only[1]:
            continue
        category = cell_text(row[at[plot.category]])
        categories.setdefault(category)
        drawn = ([(cell_text(row[at[plot.pivot]]), row[at[plot.value]])] if plot.pivot
                 else [(column, row[at[column]]) for column in plot.values])
        for name, value in drawn:
            if value is not None:
                names.setdefault(name)
                sums[name, category] = sums.get((name, category), 0.0) + float(value)
    known = {name: number for number, name in enumerate(plot.order)}
    series = [Series(name, name if plot.pivot else heading(name),
                     [sums.get((name, c)) for c in categories])
              for name in sorted(names, key=lambda n: known.get(n, len(known)))]
    # A series with nothing to draw is left out of the legend too; in a stack, so is zero.
    series = [s for s in series
              if any(v is not None and (v or not plot.stacked) for v in s.values)]
    if not series:
        return None
    return ChartData(list(categories), series, plot.stacked, plot.caption)
