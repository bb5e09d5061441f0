"""The docs stay true to the code: every option and setting documented, help generated, links alive.

Nothing here keeps a list by hand: the options come from walking the click
group, the ``HEADLINE_TAGGER_*`` settings from the source of ``classifier/`` and
``service/``, the help and option tables from cog blocks in ``docs/*.md``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import click
import pytest
from cogapp import Cog

from classifier.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINKED_PAGES = [ROOT / "README.md", *DOCS, ROOT / "bench" / "README.md"]
PREFIX = "HEADLINE_TAGGER_"

# What cog generated: from a line with [[[cog to the line with [[[end]]], code and output alike.
_GENERATED = re.compile(r"^[^\n]*\[\[\[cog.*?^[^\n]*\[\[\[end\]\]\][^\n]*$", re.DOTALL | re.MULTILINE)


def _written(path: Path) -> str:
    """A page's text without its generated blocks: what a person wrote."""
    return _GENERATED.sub("", path.read_text(encoding="utf-8"))


def _commands() -> list[tuple[str, click.Command, click.Context]]:
    # The contexts get the commands' own settings (such as -h for help), as when click runs them.
    root = click.Context(main, info_name="headline-tagger", **main.context_settings)
    found = [("", main, root)]
    groups = [("", main, root)]
    while groups:  # sub-commands too: "feedback import"
        prefix, group, parent = groups.pop(0)
        for name in group.list_commands(parent):
            command = group.get_command(parent, name)
            context = click.Context(command, info_name=name, parent=parent, **command.context_settings)
            found.append((f"{prefix}{name}", command, context))
            if isinstance(command, click.Group):
                groups.append((f"{prefix}{name} ", command, context))
    return found


def _long_options() -> list[tuple[str, str]]:
    """(command, option) for every long option of the group and of each command, but --help."""
    options = []
    for name, command, context in _commands():
        for param in command.get_params(context):
            if isinstance(param, click.Option) and param is not command.get_help_option(context):
                names = [*param.opts, *param.secondary_opts]
                options += [(name, opt) for opt in names if opt.startswith("--")]
    return options


def _page_of(command: str) -> Path:
    """The docs page that shows ``headline-tagger COMMAND --help``."""
    marker = json.dumps([*command.split(), "--help"])
    pages = [page for page in DOCS if marker in page.read_text(encoding="utf-8")]
    assert len(pages) == 1, f"expected one docs page with a cog block for `{command} --help`, found {pages}"
    return pages[0]


def test_every_command_has_its_help_in_one_docs_page():
    for name, _, _ in _commands()[1:]:
        _page_of(name)


def test_every_cli_option_is_described_on_its_command_page():
    options = _long_options()
    assert len(options) > 20, "walking the click group found too few options"
    missing = []
    for command, option in options:
        page = _page_of(command) if command else ROOT / "docs" / "configuration.md"
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", _written(page)):
            missing.append(f"{command or 'headline-tagger'} {option} (in {page.name})")
    assert not missing, "options not described outside the generated help: " + ", ".join(missing)


_KEY = r"[A-Z][A-Z0-9_]*[A-Z0-9]"


def _settings_in_source() -> set[str]:
    """Every ``HEADLINE_TAGGER_*`` name the code reads, found in the source text of the packages.

    A name is spelled out (``"HEADLINE_TAGGER_MODEL"``), or made by joining a key
    to a prefix constant (``ENV = "HEADLINE_TAGGER_"``) or passing it to a
    function that does (``def env_var(name): return ENV + name``):
    ``f"{ENV}PORT"``, ``ENV + "PORT"``, ``env_var("PORT")``. Where a module joins
    a variable instead (``ENV + key``, ``env_var(name)``), its keys are the
    upper-case keys of its dict literals and the items of the literal tuples it
    loops over.
    """
    sources = [path.read_text(encoding="utf-8") for path in _package_files()]
    prefixes = {
        name
        for text in sources
        for name in re.findall(rf"^\s*(\w+)\s*(?::[^=\n]+)?=\s*[\"']{PREFIX}[\"']", text, re.MULTILINE)
    }
    joins = [rf"\b{prefix}\s*\+\s*[a-z_]\w*|\{{(?:\w+\.)?{prefix}\}}\{{" for prefix in prefixes] or ["(?!)"]
    functions = {}  # name: its definition, which joins a parameter, not a key
    for text in sources:
        for block in _top_level_functions(text):
            if re.search(rf"^\s+return (?:{'|'.join(joins)})", block, re.MULTILINE):
                functions[re.match(r"def (\w+)", block)[1]] = block
    names: set[str] = set()
    for text in sources:
        for definition in functions.values():
            text = text.replace(definition, "")
        names.update(re.findall(rf"\b{PREFIX}({_KEY})\b", text))
        for prefix in prefixes:
            names.update(re.findall(rf"\{{(?:\w+\.)?{prefix}\}}({_KEY})\b", text))
            names.update(re.findall(rf"\b{prefix}\s*\+\s*[\"']({_KEY})[\"']", text))
        variable = any(re.search(join, text) for join in joins)
        for function in functions:
            names.update(re.findall(rf"\b{function}\(\s*[\"']({_KEY})[\"']\s*\)", text))
            variable |= bool(re.search(rf"\b{function}\(\s*[a-z_]\w*\s*\)", text))
        if variable:
            names.update(re.findall(rf"[\"']({_KEY})[\"']\s*:", text))
            for items in re.findall(r"\bfor\s+\w+\s+in\s+[(\[]([^)\]]*)[)\]]", text):
                names.update(re.findall(rf"[\"']({_KEY})[\"']", items))
    return {PREFIX + name for name in names}


def _top_level_functions(text: str) -> list[str]:
    """The source of each top-level ``def`` in ``text``, up to the next top-level statement."""
    blocks = []
    for match in re.finditer(r"^def \w+.*\n", text, re.MULTILINE):
        end = re.search(r"^[^\s)]", text[match.end() :], re.MULTILINE)  # `) -> str:` ends a signature
        blocks.append(text[match.start() : match.end() + end.start()] if end else text[match.start() :])
    return blocks


def _package_files() -> list[Path]:
    return sorted([*(ROOT / "classifier").rglob("*.py"), *(ROOT / "service").rglob("*.py")])


def test_every_setting_is_documented():
    settings = _settings_in_source()
    envvars = {
        param.envvar
        for _, command, context in _commands()
        for param in command.get_params(context)
        if isinstance(param.envvar, str)
    }
    assert envvars <= settings, f"the source scan missed the CLI's variables {envvars - settings}"
    assert len(settings) >= 5, f"the source scan found too few settings: {settings}"
    written = "\n".join(_written(page) for page in DOCS)
    missing = sorted(name for name in settings if f"`{name}`" not in written)
    assert not missing, f"settings not described in docs/: {missing}"


def test_generated_help_and_tables_match_the_code(capsys):
    """`cog --check`: the --help blocks and option tables in docs/ are what the code prints now."""
    status = Cog().main(["cog", "--check", "--diff", *map(str, DOCS)])
    output = capsys.readouterr()
    fix = "run `.venv/bin/cog -r docs/*.md`"
    assert status == 0, f"docs/ differ from the code; {fix}\n{output.out}{output.err}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    text = _without_code(path.read_text(encoding="utf-8"))
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _without_code(text: str) -> str:
    """Markdown without fenced code blocks and HTML comments, where a link is not a link."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return re.sub(r"^(```|~~~).*?^\1\s*$", "", text, flags=re.DOTALL | re.MULTILINE)


def test_anchors_are_githubs():
    assert _slug("The HTTP service: one POST /v1/tag") == "the-http-service-one-post-v1tag"
    assert _slug("Format version 2: retrain older models") == "format-version-2-retrain-older-models"
    assert _slug("`headline-tagger train`") == "headline-tagger-train"


@pytest.mark.parametrize("page", LINKED_PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page):
    text = _without_code(page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"broken links in {page.relative_to(ROOT)}: {broken}"


def test_readme_stays_a_guide():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 400
