"""The report's HTML: one jinja2 template, autoescaped, rendered into one self-contained page.

Every value from the data (headlines, teasers, labels, n-grams) goes through jinja2's
autoescaping; only the figures' SVG, which matplotlib writes with its text escaped, is inserted as
markup. The page also carries a Content-Security-Policy that forbids scripts and every fetch, so
even a mistake in escaping could neither run code nor reach the network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = ["render_page"]


def render_page(template: str = "report.html.j2", **context: Any) -> str:
    """Render ``template`` (a file of ``templates/``) with ``context`` and the package's version and
    the time, which every page's footer shows; the ``figures`` in ``context`` are SVG strings, inserted
    unescaped. Every page includes ``report.css``, so the reports look alike."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    try:
        own = version("headline-tagger")
    except PackageNotFoundError:
        own = "unknown"
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    environment = Environment(
        loader=PackageLoader("classifier.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    figures = {name: Markup(svg) for name, svg in context.get("figures", {}).items()}
    return environment.get_template(template).render(
        {**context, "figures": figures, "version": own, "created": created}
    )
