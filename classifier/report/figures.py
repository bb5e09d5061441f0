"""The report's figures: matplotlib drawing SVG text that the HTML page embeds inline.

matplotlib is the field's default and draws offline with its own fonts; it is an optional extra
(``headline-tagger[report]``), imported only when a report is made. Figures are made with
``matplotlib.figure.Figure`` directly, never pyplot, so no global backend or figure state is
touched. Text stays text in the SVG (``svg.fonttype: none``): smaller files, and a reader can
search and copy the labels.

Colours survive greyscale printing: shares are shaded with cividis (lightness rises steadily
with the value), bars are told apart by hatching as well as colour, and lines by their dash
and marker.

The archive report's figures (:mod:`classifier.report.archive_figures`) and the comparison
report's (:mod:`classifier.report.differences`) are drawn with the same pieces: :func:`styled`,
:func:`new_figure`, :func:`svg_element` and the :data:`WIDTH`, :data:`SHADES` and :data:`HATCHES`.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence

import numpy as np

from classifier.errors import HeadlineTaggerError
from classifier.report.numbers import Confusion, CoverageCurve, Reliability, ThresholdCurve

__all__ = [
    "HATCHES",
    "MISSING_MATPLOTLIB",
    "SHADES",
    "WIDTH",
    "ReportUnavailable",
    "bar_chart_figure",
    "confusion_figure",
    "coverage_figure",
    "new_figure",
    "per_label_figure",
    "reliability_figure",
    "require_matplotlib",
    "styled",
    "svg_element",
    "threshold_figure",
]

MISSING_MATPLOTLIB = "--report needs matplotlib: pip install 'headline-tagger[report]'"

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "headline-tagger",  # the same report twice is the same bytes
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
WIDTH = 8.0  # inches: 768 CSS pixels, which fits a 1366-pixel laptop screen with margins
SHADES = ("#00204c", "#7c7b78", "#c9b869")  # cividis at 0, 0.5 and 0.85: dark, mid and light grey
HATCHES = ("", "///", "...")


class ReportUnavailable(HeadlineTaggerError):
    """A report was asked for but the plotting library is not installed."""


def require_matplotlib() -> None:
    """Raise :class:`ReportUnavailable` (one line, saying what to install) without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportUnavailable(MISSING_MATPLOTLIB) from None


def new_figure(width: float, height: float, layout: str | None = "constrained"):
    """A matplotlib figure of ``width`` by ``height`` inches, made without pyplot."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def bar_chart_figure(ticks: Sequence[str], height: float):
    """A figure of ``height`` inches for horizontal bars labelled ``ticks``, with fixed margins: room
    for the longest tick at about 0.075 inch a character. The constrained layout would take
    seconds over the hundred labels of a Reuters model."""
    figure = new_figure(WIDTH, height, layout=None)
    longest = max((len(tick) for tick in ticks), default=1)
    figure.subplots_adjust(
        left=min(0.5, (0.3 + 0.075 * longest) / WIDTH), right=0.97, bottom=0.6 / height, top=1 - 0.5 / height
    )
    return figure


def svg_element(figure, name: str) -> str:
    """The figure as an inline ``<svg>`` element whose ids are unique to ``name`` within the page."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Several figures share one HTML document, where ids are global.
    svg = re.sub(r'\bid="', f'id="{name}-', svg)
    svg = svg.replace("url(#", f"url(#{name}-").replace('href="#', f'href="#{name}-')
    return svg.replace("<svg ", f'<svg role="img" aria-labelledby="{name}-title" ', 1).replace(
        ">", f'><title id="{name}-title">{name.replace("-", " ")}</title>', 1
    )


def styled(draw):
    """Run ``draw`` with the report's matplotlib style (fonts, spines) in force."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        require_matplotlib()
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return wrapper


@styled
def confusion_figure(matrix: Confusion, name: str = "confusion-matrix") -> str:
    """Heatmap of the row-normalised confusion matrix with the count in each non-empty cell; ``name``
    keeps the ids of several heatmaps on one page apart."""
    import matplotlib as mpl

    rows, columns = len(matrix.rows), len(matrix.columns)
    cell = min(0.42, 6.2 / max(columns, 1))
    figure = new_figure(min(WIDTH, 2.2 + cell * columns), 1.6 + cell * rows)
    axes = figure.add_subplot()
    cmap = mpl.colormaps["cividis_r"].with_extremes(bad="white")
    shares = np.where(matrix.counts > 0, matrix.normalised, np.nan)
    image = axes.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    size = 8 if cell >= 0.35 else 6.5
    for r in range(rows):
        for c in range(columns):
            if matrix.counts[r, c]:
                colour = "white" if matrix.normalised[r, c] > 0.5 else "black"
                axes.text(
                    c, r, f"{matrix.counts[r, c]:,}", ha="center", va="center", color=colour, fontsize=size
                )
    axes.set_xticks(range(columns), matrix.columns, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(range(rows), matrix.rows)
    axes.tick_params(length=0)
    axes.set_xlabel("answered (predicted topic)")
    axes.set_ylabel("true topic")
    for spine in axes.spines.values():
        spine.set_visible(False)
    bar = figure.colorbar(image, ax=axes, shrink=0.8 if rows > 4 else 1.0, pad=0.02)
    bar.set_label("share of the true topic's rows")
    return svg_element(figure, name)


@styled
def per_label_figure(per_label: dict[str, dict[str, float]]) -> str:
    """Precision, recall and F1 of each label as horizontal bars, most frequent label on top."""
    names = sorted(per_label, key=lambda name: (-per_label[name]["support"], name))
    height = 1.0 + 0.38 * len(names)
    figure = bar_chart_figure([f"{name} (n={int(per_label[name]['support']):,})" for name in names], height)
    axes = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    height = 0.27
    metrics = ("precision", "recall", "f1")
    for offset, (metric, shade, hatch) in enumerate(zip(metrics, SHADES, HATCHES, strict=True)):
        values = [per_label[name][metric] for name in names]
        axes.barh(
            positions + (1 - offset) * height,
            values,
            height=height,
            color=shade,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.4,
            label="F1" if metric == "f1" else metric,
        )
    for position, name in zip(positions, names, strict=True):
        ends = max(per_label[name][m] for m in metrics)
        axes.text(
            ends + 0.01, position - height, f"F1 {per_label[name]['f1']:.2f}", va="center", fontsize=7.5
        )
    axes.set_yticks(positions, [f"{name} (n={int(per_label[name]['support']):,})" for name in names])
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_xlim(0, 1.15)
    axes.set_xticks(np.linspace(0, 1, 6))
    axes.set_xlabel("score (0 to 1)")
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False, borderaxespad=0.2)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return svg_element(figure, "per-label-scores")


@styled
def reliability_figure(bins: Reliability, what: str) -> str:
    """Accuracy against confidence per bin, the diagonal of perfect calibration, and how many scores
    fall in each bin."""
    import matplotlib as mpl
    import matplotlib.ticker

    figure = new_figure(5.6, 5.0)
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    centres = (bins.edges[:-1] + bins.edges[1:]) / 2
    width = bins.edges[1] - bins.edges[0]
    filled = bins.counts > 0
    top.plot([0, 1], [0, 1], linestyle="--", color="#7c7b78", linewidth=1, label="perfectly calibrated")
    top.bar(
        centres[filled],
        bins.accuracy[filled],
        width=width * 0.9,
        color=SHADES[2],
        edgecolor="black",
        linewidth=0.5,
        label="share correct in the bin",
    )
    top.plot(
        bins.confidence[filled],
        bins.accuracy[filled],
        marker="o",
        color=SHADES[0],
        linewidth=1.2,
        label="mean score → share correct",
    )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.02)
    top.set_ylabel("share correct")
    top.set_title(f"ECE {bins.ece:.3f} ({what})")
    top.legend(loc="upper left", frameon=False)
    bottom.bar(centres, bins.counts, width=width * 0.9, color=SHADES[1], edgecolor="black", linewidth=0.5)
    bottom.set_yscale("log", nonpositive="clip")
    bottom.set_ylim(0.8, max(2.0, bins.counts.max() * 1.5))
    bottom.yaxis.set_major_locator(mpl.ticker.LogLocator(numticks=4))
    bottom.set_ylabel("scores")
    bottom.set_xlabel("score (model confidence)")
    return svg_element(figure, "reliability-diagram")


@styled
def coverage_figure(curve: CoverageCurve, abstain_threshold: float) -> str:
    """Left: accuracy against the share of rows answered; right: both against the abstain threshold.
    The model's own abstain threshold is marked on each."""
    figure = new_figure(WIDTH, 3.4)
    trade, by_threshold = figure.subplots(1, 2)
    index = int(np.argmin(np.abs(curve.thresholds - abstain_threshold)))
    trade.plot(curve.trade_coverage, curve.trade_accuracy, color=SHADES[0], linewidth=1.5)
    trade.plot(
        curve.coverage[index],
        curve.accuracy[index],
        marker="D",
        color=SHADES[0],
        markersize=6,
        linestyle="none",
        label=f"this model (abstains below {abstain_threshold:g})",
    )
    trade.set_xlim(0, 1.02)
    trade.set_xlabel("coverage (share of rows answered)")
    trade.set_ylabel("accuracy on the answered rows")
    trade.legend(loc="lower right", frameon=False)
    trade.invert_xaxis()
    by_threshold.plot(curve.thresholds, curve.coverage, color=SHADES[0], linewidth=1.5, label="coverage")
    by_threshold.plot(
        curve.thresholds, curve.accuracy, color=SHADES[1], linewidth=1.5, linestyle="--", label="accuracy"
    )
    by_threshold.axvline(abstain_threshold, color="black", linestyle=":", linewidth=1, label="this model")
    by_threshold.set_xlim(0, 1)
    by_threshold.set_ylim(0, 1.02)
    by_threshold.set_xlabel("abstain threshold (top score below it: no answer)")
    by_threshold.set_ylabel("share")
    by_threshold.legend(loc="lower left", frameon=False)
    return svg_element(figure, "coverage-curve")


@styled
def threshold_figure(curves: Sequence[ThresholdCurve]) -> str:
    """Small multiples: each label's F1 over the threshold grid, its chosen threshold marked."""
    columns = min(4, len(curves))
    rows = -(-len(curves) // columns)
    height = 0.7 + 1.75 * rows
    # Fixed margins: the constrained layout takes seconds to place a dozen small axes.
    figure = new_figure(WIDTH, height, layout=None)
    figure.subplots_adjust(
        left=0.08, right=0.98, bottom=0.45 / height, top=1 - 0.3 / height, wspace=0.3, hspace=0.45
    )
    grid = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for axes, curve in zip(grid.flat, curves, strict=False):
        axes.plot(curve.grid, curve.f1, color=SHADES[0], marker=".", markersize=3, linewidth=1.2)
        axes.axvline(curve.chosen, color="black", linestyle=":", linewidth=1)
        axes.set_title(f"{curve.label} (n={curve.positives:,})", fontsize=8.5)
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.02)
        # Three ticks: with more, one axes' 1.0 ran into the next one's 0.0.
        axes.set_xticks([0, 0.5, 1])
        axes.tick_params(labelsize=7.5)
    for axes in grid.flat[len(curves) :]:
        axes.set_visible(False)
    figure.supxlabel("threshold (dotted: the model's)")
    figure.supylabel("F1")
    return svg_element(figure, "threshold-curves")
