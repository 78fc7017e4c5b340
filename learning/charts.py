"""Charts drawn on the server with matplotlib (SVG for the page, PNG to download) and their
figures as CSV. matplotlib is imported when a chart is drawn, not when the site starts."""

from __future__ import annotations

import csv
import io
import textwrap

from django.utils.html import escape

from maca.spreadsheets import neutralise

from .trends import Chart

# Okabe–Ito: told apart by people with any common colour vision; hatching and the numbers on
# the bars tell the series apart without colour at all.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]
FONT = "DejaVu Sans"
# Series whose meaning has a colour of its own: good is green, late orange, missed vermilion.
MEANING = {
    "On time": ("#009E73", ""),
    "Completed on time": ("#009E73", ""),
    "Late": ("#E69F00", "//"),
    "Completed late": ("#E69F00", "//"),
    "Overdue": ("#D55E00", "xx"),
    "Not submitted": ("#D55E00", "xx"),
    "Open": ("#56B4E9", ".."),
}
# The page's charts on a phone: a figure about as wide as the screen, so that its 10 pt text is
# drawn at 11 px or more on a 320 px screen and at about 12.5 px on a 390 px one, with the
# labels wrapped and the legend under the bars rather than beside them.
WIDE_INCHES = 8.5
NARROW_INCHES = 3.7
NARROW_LABEL = 20  # characters on a line of a label
NARROW_LINES = 3
WIDE_LABEL = 40  # on the page's full width
WIDE_LINES = 2


def chart_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    # An audit's name heads a column of some charts: as much typed text as a row's label.
    writer.writerow([chart.row_heading, *map(neutralise, chart.columns)])
    for label, values in chart.rows:
        writer.writerow([neutralise(label), *values])
    return out.getvalue()


def chart_svg(chart: Chart, *, narrow: bool = False) -> str:
    """The chart as an SVG document with its title and description for assistive technology;
    `narrow` draws it for a phone's screen."""
    svg = _draw(chart, "svg", narrow=narrow).decode("utf-8")
    svg = svg[svg.index("<svg") :]
    head_end = svg.index(">") + 1
    opening = svg[:head_end].replace(
        "<svg ", '<svg role="img" aria-labelledby="chart-title chart-desc" ', 1
    )
    labels = (
        f'<title id="chart-title">{escape(chart.title)}</title>'
        f'<desc id="chart-desc">{escape(chart.description)}</desc>'
    )
    return '<?xml version="1.0" encoding="utf-8"?>\n' + opening + labels + svg[head_end:]


def chart_png(chart: Chart, *, narrow: bool = False) -> bytes:
    return _draw(chart, "png", narrow=narrow)


def _draw(chart: Chart, fmt: str, *, narrow: bool = False) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: selectable, read aloud, small
            "svg.hashsalt": chart.key,  # the same figures draw the same file
            "text.parse_math": False,  # a name's "$" is a dollar sign, not TeX
            "font.family": FONT,
            "font.size": 10,
        }
    )
    rows = _rows_drawn(chart)
    figure = Figure(figsize=_inches(chart, rows, narrow=narrow), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    if chart.kind == "heatmap":
        _heatmap(axes, chart, rows, narrow=narrow)
    else:
        _bars(axes, chart, rows, stacked=chart.kind == "stacked", narrow=narrow)
    if not narrow:  # on the page the chart's heading names it, just above
        axes.set_title(chart.title, loc="left", fontsize=12, fontweight="bold")
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def css_size(chart: Chart, *, narrow: bool = False) -> tuple[int, int]:
    """The drawing's width and height in CSS pixels, for the page to hold its place (and shape)
    before a lazily loaded chart arrives."""
    width, height = _inches(chart, _rows_drawn(chart), narrow=narrow)
    return round(width * 96), round(height * 96)


def _rows_drawn(chart: Chart):
    return chart.rows or [("No data", [0] * len(chart.columns))]


def _inches(chart: Chart, rows, *, narrow: bool) -> tuple[float, float]:
    if narrow:
        return _narrow_size(chart, rows)
    return WIDE_INCHES, max(2.6, 0.42 * len(rows) + 1.6)


def _narrow_size(chart: Chart, rows) -> tuple[float, float]:
    """Each row as tall as its bars or its wrapped label, and room for a legend underneath."""
    series = 1 if chart.kind != "bars" else max(len(chart.columns), 1)
    row = max(0.6, 0.17 * NARROW_LINES, 0.16 * series + 0.12)
    # A heat map has no legend, but its columns' names stand upright above it.
    legend = 0.3 * len(chart.columns) + 0.3 if chart.kind != "heatmap" else 1.6
    return NARROW_INCHES, max(2.6, row * len(rows) + legend + 0.5)


def _short(label: str, limit: int = WIDE_LABEL) -> str:
    """A wide chart's label: on one line, or two ("Children missing from education
    (September 2025)"), shortened only past those."""
    return _wrapped(label, limit, lines=WIDE_LINES)


def _wrapped(label: str, limit: int = NARROW_LABEL, *, lines: int = NARROW_LINES) -> str:
    """A label over a few short lines, the last one shortened if it does not fit."""
    return "\n".join(
        textwrap.wrap(label, limit, max_lines=lines, placeholder="…", break_on_hyphens=False)
    )


def _bars(axes, chart: Chart, rows, *, stacked: bool, narrow: bool) -> None:
    labels = [_wrapped(label) if narrow else _short(label) for label, _ in rows]
    positions = list(range(len(rows)))
    series = len(chart.columns)
    height = 0.8 if stacked else 0.8 / max(series, 1)
    lefts = [0] * len(rows)
    handles = []
    for index, column in enumerate(chart.columns):
        values = [values[index] for _, values in rows]
        colour, hatch = MEANING.get(
            column, (COLOURS[index % len(COLOURS)], HATCHES[index % len(HATCHES)])
        )
        offsets = positions if stacked else [p - 0.4 + height * (index + 0.5) for p in positions]
        bars = axes.barh(
            offsets,
            values,
            height=height,
            left=lefts if stacked else None,
            label=column,
            color=colour,
            hatch=hatch,
            edgecolor="#1a1a1a",
            linewidth=0.4,
        )
        handles.append(bars)
        shown = [str(v) if v else "" for v in values]
        axes.bar_label(
            bars,
            labels=shown,
            label_type="center" if stacked else "edge",
            padding=0 if stacked else 2,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1} if stacked else None,
        )
        if stacked:
            lefts = [left + value for left, value in zip(lefts, values, strict=True)]
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if not series:
        return
    # Named one by one: matplotlib leaves out of a legend it gathers itself any series whose
    # name starts with "_", as a theme's may.
    if narrow:
        names = [_wrapped(name, 32) for name in chart.columns]
        axes.figure.legend(handles, names, loc="outside lower left", frameon=False)
    else:
        axes.legend(
            handles,
            list(chart.columns),
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=9,
        )


def _heatmap(axes, chart: Chart, rows, *, narrow: bool) -> None:
    values = [values for _, values in rows]
    largest = max((max(row) for row in values), default=0) or 1
    axes.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=largest)
    axes.set_xticks(range(len(chart.columns)), chart.columns)
    if narrow:  # side by side, the grades' names would run into each other
        axes.tick_params(axis="x", labelrotation=90)
    axes.set_yticks(
        range(len(rows)), [_wrapped(label) if narrow else _short(label, 50) for label, _ in rows]
    )
    axes.xaxis.tick_top()
    for y, row in enumerate(values):
        for x, value in enumerate(row):
            axes.text(
                x,
                y,
                str(value),
                ha="center",
                va="center",
                color="white" if value > largest * 0.55 else "#1a1a1a",
            )
