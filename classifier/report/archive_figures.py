"""The archive report's figures: topic shares, the top-score histogram and the topics by month.

Drawn like the evaluation report's (:mod:`classifier.report.figures`: matplotlib, inline SVG,
greyscale-safe shading, hatching, dashes and markers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.report.figures import (
    HATCHES,
    SHADES,
    WIDTH,
    bar_chart_figure,
    new_figure,
    styled,
    svg_element,
)

__all__ = ["month_figure", "score_figure", "share_figure"]

# Line styles for the topics by month: each topic differs from the others in dash and marker, not
# only in shade, so a greyscale print still tells them apart.
_LINES = [
    (shade, dash, marker)
    for dash, marker in (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))
    for shade in (SHADES[0], SHADES[1])
]


@styled
def share_figure(
    names: Sequence[str],
    raw: np.ndarray,
    adjusted: np.ndarray | None,
    low: np.ndarray | None,
    high: np.ndarray | None,
) -> str:
    """Each topic's share of predicted labels and, when known, its adjusted share with the 95%
    interval, as horizontal bars, the largest first (the order of ``names``)."""
    figure = bar_chart_figure(names, 1.1 + 0.32 * len(names) * (2 if adjusted is not None else 1))
    axes = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    bar = 0.4 if adjusted is not None else 0.7
    axes.barh(
        positions + (bar / 2 if adjusted is not None else 0),
        raw * 100,
        height=bar,
        color=SHADES[2],
        hatch=HATCHES[1],
        edgecolor="black",
        linewidth=0.5,
        label="predicted labels (raw)",
    )
    if adjusted is not None:
        errors = np.vstack([adjusted - low, high - adjusted]).clip(min=0) * 100
        axes.barh(
            positions - bar / 2,
            adjusted * 100,
            height=bar,
            color=SHADES[0],
            edgecolor="black",
            linewidth=0.5,
            xerr=errors,
            error_kw={"ecolor": SHADES[1], "capsize": 2, "linewidth": 1},
            label="adjusted for the model's errors (95% interval)",
        )
    axes.set_yticks(positions, names)
    axes.set_xlabel("share of the archive's rows (%)")
    axes.set_ylim(-0.7, len(names) - 0.3)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    return svg_element(figure, "topic-shares")


@styled
def score_figure(archive: np.ndarray, validation: np.ndarray | None) -> str:
    """The histogram of top scores of the archive, as bars, and of the validation split, as a line."""
    figure = new_figure(WIDTH, 3.0)
    axes = figure.add_subplot()
    bins = len(archive)
    edges = np.linspace(0, 1, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    shares = archive / max(archive.sum(), 1) * 100
    axes.bar(
        centres,
        shares,
        width=0.9 / bins,
        color=SHADES[2],
        edgecolor="black",
        linewidth=0.5,
        label="this archive",
    )
    if validation is not None:
        expected = validation / max(validation.sum(), 1) * 100
        axes.plot(
            centres,
            expected,
            color=SHADES[0],
            marker="o",
            markersize=3,
            linewidth=1.4,
            label="validation split",
        )
    axes.set_xlim(0, 1)
    axes.set_xlabel("top score (the model's confidence in its first topic)")
    axes.set_ylabel("share of rows (%)")
    axes.legend(loc="upper left", frameon=False)
    return svg_element(figure, "score-histogram")


@styled
def month_figure(months: Sequence[str], names: Sequence[str], shares: np.ndarray, rows: Sequence[int]) -> str:
    """Each of ``names``' share (rows of ``shares``, one column per month) over the months, above the
    rows of each month (a share of a small month is a noisy one)."""
    figure = new_figure(WIDTH, 4.4)
    axes, counts = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    positions = np.arange(len(months))
    for (shade, dash, marker), name, row in zip(_LINES, names, shares, strict=False):
        axes.plot(
            positions, row * 100, color=shade, linestyle=dash, marker=marker, markersize=3.5, label=name
        )
    counts.bar(positions, rows, width=0.8, color=SHADES[1], edgecolor="black", linewidth=0.5)
    counts.set_ylabel("rows")
    step = max(1, len(months) // 12)
    counts.set_xticks(positions[::step], [months[i] for i in positions[::step]], rotation=45, ha="right")
    counts.set_xlabel("month")
    axes.set_ylabel("share of the month's rows (%)")
    axes.set_ylim(bottom=0)
    figure.legend(loc="outside right upper", frameon=False, fontsize=8)
    return svg_element(figure, "topics-by-month")
