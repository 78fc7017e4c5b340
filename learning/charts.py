"""Charts drawn on the server with matplotlib (SVG for the page, PNG to download) and their
figures as CSV. matplotlib is imported when a chart is drawn, not when the site starts."""

from __future__ import annotations

import csv
import io

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


def chart_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    # An audit's name heads a column of some charts: as much typed text as a row's label.
    writer.writerow([chart.row_heading, *map(neutralise, chart.columns)])
    for label, values in chart.rows:
        writer.writerow([neutralise(label), *values])
    return out.getvalue()


def chart_svg(chart: Chart) -> str:
    """The chart as an SVG document with its title and description for assistive technology."""
    svg = _draw(chart, "svg").decode("utf-8")
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


def chart_png(chart: Chart) -> bytes:
    return _draw(chart, "png")


def _draw(chart: Chart, fmt: str) -> bytes:
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
    rows = chart.rows or [("No data", [0] * len(chart.columns))]
    height = max(2.6, 0.42 * len(rows) + 1.6)
    figure = Figure(figsize=(8.5, height), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    if chart.kind == "heatmap":
        _heatmap(axes, chart, rows)
    else:
        _bars(axes, chart, rows, stacked=chart.kind == "stacked")
    axes.set_title(chart.title, loc="left", fontsize=12, fontweight="bold")
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def _short(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _bars(axes, chart: Chart, rows, *, stacked: bool) -> None:
    labels = [_short(label) for label, _ in rows]
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
    if series:
        # Named one by one: matplotlib leaves out of a legend it gathers itself any series whose
        # name starts with "_", as a theme's may.
        axes.legend(
            handles,
            list(chart.columns),
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=9,
        )


def _heatmap(axes, chart: Chart, rows) -> None:
    values = [values for _, values in rows]
    largest = max((max(row) for row in values), default=0) or 1
    axes.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=largest)
    axes.set_xticks(range(len(chart.columns)), chart.columns)
    axes.set_yticks(range(len(rows)), [_short(label, 50) for label, _ in rows])
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
