"""The comparison report's own figure: each label's F1 difference between two models, as diverging bars.

It is drawn with the evaluation report's style and SVG embedding (:mod:`classifier.report.figures`):
bars to the right are labels model B does better on, to the left those model A does better on,
told apart by hatching as well as shade so that a greyscale print keeps them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from classifier.report.figures import HATCHES, SHADES, bar_chart_figure, styled, svg_element

__all__ = ["DIFFERENCE_LABELS", "chosen_labels", "f1_difference_figure"]

# More labels than this and the chart keeps those that moved most: 40 bars still read at laptop
# width and a Reuters model's 90 do not; the per-label table below the chart has them all.
DIFFERENCE_LABELS = 40


def chosen_labels(per_label: Mapping[str, Mapping[str, Any]], limit: int = DIFFERENCE_LABELS) -> list[str]:
    """The labels the chart draws, largest gain of B on top: all of them, or the ``limit`` whose F1
    moved most (the more frequent first among equal moves)."""
    names = list(per_label)
    if len(names) > limit:
        moved = sorted(
            names, key=lambda n: (-abs(per_label[n]["f1_difference"]), -per_label[n]["support"], n)
        )
        names = moved[:limit]
    return sorted(names, key=lambda n: (-per_label[n]["f1_difference"], -per_label[n]["support"], n))


@styled
def f1_difference_figure(per_label: Mapping[str, Mapping[str, Any]], names: list[str], a: str, b: str) -> str:
    """Horizontal bars of F1 (B) minus F1 (A) for ``names`` (``per_label`` is the shape of
    :attr:`classifier.comparison.Comparison.per_label`), each labelled with its value."""
    differences = np.array([per_label[name]["f1_difference"] for name in names], dtype=float)
    ticks = [f"{name} (n={int(per_label[name]['support']):,})" for name in names]
    figure = bar_chart_figure(ticks, 1.1 + 0.24 * len(names))
    axes = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    from matplotlib.patches import Patch

    legend = []
    for chosen, shade, hatch, label in (
        (differences > 0, SHADES[0], HATCHES[0], f"B ({b}) better"),
        (differences < 0, SHADES[2], HATCHES[1], f"A ({a}) better"),
    ):
        style = {"facecolor": shade, "hatch": hatch, "edgecolor": "black", "linewidth": 0.4}
        axes.barh(positions[chosen], differences[chosen], height=0.7, **style)
        # Drawn by hand: a side with no bar would otherwise get a legend entry of the default colour.
        legend.append(Patch(label=label, **style))
    reach = max(0.05, float(np.abs(differences).max(initial=0.0)) * 1.3)
    for position, value in zip(positions, differences, strict=True):
        gap = reach * 0.015
        axes.text(
            value + (gap if value >= 0 else -gap),
            position,
            f"{value:+.3f}",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=7.5,
        )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlim(-reach, reach)
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_yticks(positions, ticks)
    axes.tick_params(axis="y", length=0)
    axes.set_xlabel("F1 of B minus F1 of A")
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(
        handles=legend, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, borderaxespad=0.2
    )
    return svg_element(figure, "f1-differences")
