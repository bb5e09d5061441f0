"""The architecture stays as designed: the core is a plain library, modules are small, acyclic and not
copied from each other, and every command is documented.

The structural checks read the source with ``ast`` (nothing is imported), so a failure names the file and
line, and they take a fraction of a second.
"""

import ast
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from classifier.cli import main

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("classifier", "service")
# The adapters: only they may import the web and command-line frameworks, or each other.
ADAPTER_PACKAGES = ("classifier.cli", "service")
ADAPTER_IMPORTS = ("service", "classifier.cli", "flask", "werkzeug", "gunicorn", "click")
MAX_MODULE_LINES = 400
# Six identical code lines in a row in two modules are a copied block that wants one home; the
# longest run that two modules share by idiom ("--model" with its option arguments, a None check) is 4.
MIN_COPIED_LINES = 6


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    source: str
    tree: ast.Module

    @property
    def rel(self) -> str:
        return self.path.relative_to(REPO).as_posix()

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    line: int
    names: tuple[str, ...]  # absolute dotted names; for `from X import y`, X.y then X
    lazy: bool  # inside a function: runs when called, not when the module loads


def _in_package(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


@cache
def _modules() -> dict[str, Module]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            source = path.read_text(encoding="utf-8")
            modules[name] = Module(name, path, source, ast.parse(source, filename=str(path)))
    return modules


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _absolute(module: Module, node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    if isinstance(node, ast.Import):
        return tuple(alias.name for alias in node.names)
    base = node.module or ""
    if node.level:
        anchor = module.package.split(".")[: len(module.package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return (*(f"{base}.{alias.name}" for alias in node.names), base)


def _imports(module: Module, *, type_checking: bool) -> Iterator[Import]:
    """Every import statement of ``module``, lazy ones included; ``if TYPE_CHECKING:`` blocks only
    with ``type_checking``."""

    def walk(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield Import(child.lineno, _absolute(module, child), lazy)
            elif _is_type_checking(child) and not type_checking:
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), lazy)
            else:
                function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from walk(child, lazy or function)

    return walk(module.tree, False)


def _import_graph() -> dict[str, dict[str, Import]]:
    """module -> {project module it imports: the first import statement that does}."""
    modules = _modules()
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for module in modules.values():
        for statement in _imports(module, type_checking=False):
            # `from pkg import sub` loads the module pkg.sub when there is one, else names from pkg itself.
            names = statement.names[:-1] if len(statement.names) > 1 else statement.names
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module.name:
                    graph[module.name].setdefault(name, statement)
    return graph


def _cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles_among_the_modules():
    """No two modules of classifier/ and service/ depend on each other, directly or around a loop.

    An import inside a function counts: it hides the cycle from the interpreter, not from the design (a
    cycle is a module with two jobs). Imports under ``if TYPE_CHECKING:`` name types only and do not.
    """
    graph = _import_graph()
    modules = _modules()
    problems = []
    for component in _cycles(graph):
        edges = [
            f"  {modules[name].rel}:{statement.line} imports {target}" + (" (in a function)" * statement.lazy)
            for name in component
            for target, statement in sorted(graph[name].items(), key=lambda item: item[1].line)
            if target in component
        ]
        problems.append(f"import cycle among {', '.join(component)}:\n" + "\n".join(edges))
    assert not problems, "\n".join(problems)


def test_core_imports_neither_the_service_nor_flask_nor_click():
    """Only classifier.cli and service may import the frameworks of the adapters, or the adapters.

    Checked in the source, so that an import inside a function counts too; what a third-party package
    imports in its turn (distributed imports click) is not the core's doing.
    """
    problems = []
    for module in _modules().values():
        if _in_package(module.name, ADAPTER_PACKAGES):
            continue
        for statement in _imports(module, type_checking=True):
            adapters = [name for name in statement.names if _in_package(name, ADAPTER_IMPORTS)]
            if adapters:
                problems.append(f"{module.rel}:{statement.line} imports {min(adapters, key=len)}")
    assert not problems, "the core must not depend on an adapter:\n" + "\n".join(problems)


def test_no_module_is_over_the_size_limit():
    too_long = [
        f"{module.rel}: {lines} lines"
        for module in _modules().values()
        if (lines := len(module.source.splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (one job each):\n" + "\n".join(too_long)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in ``body`` and in the blocks nested in it; expressions are not visited."""
    for statement in body:
        yield statement
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(statement, field, []))
        for block in (*getattr(statement, "handlers", []), *getattr(statement, "cases", [])):
            yield from _statements(block.body)


def _skipped_lines(module: Module) -> set[int]:
    """Lines of docstrings, imports and function signatures: modules share these without copying code
    (a signature that another function's matches is an interface kept alike on purpose)."""
    lines = set()
    for node in (module.tree, *_statements(module.tree.body)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(range(node.lineno, node.body[0].lineno))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str):
                lines.update(range(first.lineno, first.end_lineno + 1))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def _code_lines(module: Module) -> list[tuple[str, int]]:
    """(text, line number) of each line that says something.

    Lines are stripped; comments, docstrings, imports, function signatures and lines of brackets and
    commas alone are left out. A comment is what follows "  #", as the formatter writes it: where a
    string holds those characters, every copy of it is cut alike.
    """
    skipped = _skipped_lines(module)
    kept = []
    for number, line in enumerate(module.source.splitlines(), start=1):
        text = line.strip()
        if number in skipped or text.startswith("#"):
            continue
        if (comment := text.find("  #")) >= 0:
            text = text[:comment]
        if any(character.isalnum() for character in text):
            kept.append((text, number))
    return kept


def test_no_block_of_code_is_copied_between_modules():
    """No run of MIN_COPIED_LINES identical code lines appears in two modules."""
    code = {name: _code_lines(module) for name, module in _modules().items()}
    places: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for name, lines in code.items():
        texts = [text for text, _ in lines]
        for start in range(len(texts) - MIN_COPIED_LINES + 1):
            places[tuple(texts[start : start + MIN_COPIED_LINES])].append((name, start))
    pairs = {(a, i, b, j) for found in places.values() for a, i in found for b, j in found if a < b}
    # The windows at (i, j), (i + 1, j + 1), ... of one pair of modules are one copied run.
    modules = _modules()
    problems = []
    for a, i, b, j in sorted(pairs):
        if (a, i - 1, b, j - 1) in pairs:
            continue
        end = 1
        while (a, i + end, b, j + end) in pairs:
            end += 1
        last = end + MIN_COPIED_LINES - 2
        problems.append(
            f"{modules[a].rel}:{code[a][i][1]}-{code[a][i + last][1]} and "
            f"{modules[b].rel}:{code[b][j][1]}-{code[b][j + last][1]}: {last + 1} code lines in common, "
            f"from `{code[a][i][0]}`"
        )
    assert not problems, "blocks of code copied between modules (give each one home):\n" + "\n".join(problems)


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"headline-tagger {name}" in readme, f"README does not document `headline-tagger {name}`"


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        first_line = " ".join(command.help.split("\n")[0].split())
        assert first_line and first_line in " ".join(result.output.split())


def test_ci_runs_the_readme_test_command():
    readme_lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in [line.strip() for line in readme_lines[:12]]


def test_code_is_lint_clean_and_formatted():
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_is_in_the_wheel():
    """A package left out of pyproject's list imports in this editable checkout, not when installed."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in PACKAGES
        for init in (REPO / top).rglob("__init__.py")
    }
    assert listed == on_disk
