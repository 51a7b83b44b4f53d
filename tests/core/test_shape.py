"""The code base keeps one shape: domains laid out alike, one transaction owner, a clean kernel."""

import ast
from pathlib import Path

import pytest

from core.app import DOMAINS, load_domains
from core.settings import ROOT

PACKAGES = {name: ROOT.joinpath(*name.split(".")) for name in DOMAINS}
REQUIRED = {"__init__.py", "models.py", "schemas.py", "errors.py", "service", "routes", "templates"}
ALLOWED_EXTRAS = {"labels.py", "demo.py", "__pycache__"}
# The transaction owner, the composition root's CLI, and code that runs outside requests.
MAY_COMMIT = {"core/db.py", "core/cli.py"}
COMPOSITION_ROOT = {"core/app.py", "core/cli.py"}
DOMAIN_NAMES = {name for name in DOMAINS if "." not in name}


def _sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        if ".venv" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.AST) -> list[tuple[str, ast.AST, bool]]:
    """(module, node, inside a function) for every import in a module."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, child, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


@pytest.mark.parametrize("name", DOMAINS)
def test_every_domain_has_the_same_files(name):
    folder = PACKAGES[name]
    entries = {path.name for path in folder.iterdir()}
    assert entries >= REQUIRED, f"{name} lacks {sorted(REQUIRED - entries)}"
    extras = entries - REQUIRED - ALLOWED_EXTRAS
    assert not extras, f"{name} has files outside the shape: {sorted(extras)}"
    short = name.rsplit(".", 1)[-1]
    assert {p.name for p in (folder / "templates").iterdir()} == {short}
    assert (folder / "service" / "__init__.py").is_file()
    assert (folder / "routes" / "__init__.py").is_file()


def test_every_domain_declares_itself():
    domains = load_domains()
    assert [d.name for d in domains] == [name.rsplit(".", 1)[-1] for name in DOMAINS]
    for domain in domains:
        assert domain.routes or domain.api_routes, domain.name


def test_only_the_owner_the_cli_and_workers_commit():
    """Handlers and services never end a transaction; a handler never opens a savepoint either
    (a service may, around an insert that can lose a uniqueness race)."""
    offenders = []
    for folder in ("core", *DOMAIN_NAMES):
        for path, tree in _sources(ROOT / folder):
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and relative not in MAY_COMMIT
                    and (
                        node.func.attr in ("commit", "rollback")
                        or (node.func.attr == "begin_nested" and "/routes/" in relative)
                    )
                ):
                    offenders.append(f"{relative}:{node.lineno} .{node.func.attr}()")
    assert not offenders, "commit/rollback outside the transaction owner:\n" + "\n".join(offenders)


def test_the_kernel_imports_no_domain_outside_the_composition_root():
    offenders = []
    for path, tree in _sources(ROOT / "core"):
        relative = path.relative_to(ROOT).as_posix()
        if relative in COMPOSITION_ROOT:
            continue
        for module, node, _ in _imports(tree):
            if module.split(".")[0] in DOMAIN_NAMES:
                offenders.append(f"{relative}:{node.lineno} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_kernel_has_no_hidden_import_cycles():
    """No import inside a function in core/ (the way cycles were hidden), outside the CLI."""
    offenders = []
    for path, tree in _sources(ROOT / "core"):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "core/cli.py":  # typer commands import their subsystem when run
            continue
        for module, node, in_function in _imports(tree):
            if in_function and module.split(".")[0] == "core":
                offenders.append(f"{relative}:{node.lineno} imports {module} in a function")
    assert not offenders, "\n".join(offenders)


def test_no_domain_reads_the_wall_clock():
    offenders = []
    for folder in ("core", *DOMAIN_NAMES, "tests"):
        for path, tree in _sources(ROOT / folder):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "core/clock.py":
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                    if (name, node.func.attr) in {("date", "today"), ("datetime", "now")}:
                        offenders.append(f"{relative}:{node.lineno} {name}.{node.func.attr}()")
    assert not offenders, "read the time from core.clock:\n" + "\n".join(offenders)


def test_domains_call_each_other_only_through_service():
    """Another domain is reached through `<domain>.service` (its __init__), never its tables,
    routes or service modules."""
    offenders = []
    for folder in DOMAIN_NAMES:
        for path, tree in _sources(ROOT / folder):
            relative = path.relative_to(ROOT).as_posix()
            for module, node, _ in _imports(tree):
                other = module.split(".")[0]
                via_service = module == f"{other}.service" or (
                    module == other and {a.name for a in node.names} == {"service"}
                )
                if other in DOMAIN_NAMES and other != folder and not via_service:
                    offenders.append(f"{relative}:{node.lineno} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_every_domain_package_is_installed_by_pyproject():
    """`make run` uses the installed `commons` command: a domain left out of the package list
    works under pytest (run from the checkout) but not there."""
    import tomllib

    from core.app import DOMAINS
    from core.settings import ROOT

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    for name in DOMAINS:
        assert f"{name.split('.')[0]}*" in included, name
