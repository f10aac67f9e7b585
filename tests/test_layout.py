"""The layout is enforced, not described: README names the tree, the layers hold, types check.

README's Layout section names every module and package; the import contracts in
pyproject.toml hold (the domain imports neither SQLite, Textual nor click; neither the
store, projections and queries nor the exporters and importers import the app or the
CLI); mypy passes on the package, strictly on the domain; and each ``# type: ignore``
left says why.
"""

from __future__ import annotations

import re
from pathlib import Path

from importlinter.cli import lint_imports
from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chronicle"
CONFIG = ROOT / "pyproject.toml"


def _layout() -> str:
    """The indented block under README's "## Layout" heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1]
    lines = []
    for line in section.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return "\n".join(lines)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))


def _packages() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("*/__init__.py"))


def test_readme_names_every_module_and_package() -> None:
    words = set(re.findall(r"[a-z_]+/?", _layout()))
    assert [p.relative_to(ROOT) for p in _modules() if p.stem not in words] == []
    assert [p.relative_to(ROOT) for p in _packages() if f"{p.name}/" not in words] == []


def test_every_folder_readme_names_exists() -> None:
    folders = {w.rstrip("/") for w in re.findall(r"\b[a-z_]+/", _layout())}
    existing = {p.name for p in (*ROOT.iterdir(), *_packages()) if p.is_dir()}
    assert folders - existing == set()


def test_the_import_contracts_hold(capsys) -> None:
    kept = lint_imports(config_filename=str(CONFIG), no_logo=True)
    assert kept == 0, capsys.readouterr().out


def test_the_package_type_checks() -> None:
    out, err, status = mypy_api.run(
        ["--config-file", str(CONFIG), "--cache-dir", str(ROOT / ".mypy_cache"), str(PACKAGE)]
    )
    assert status == 0, out + err


def test_every_type_ignore_says_why() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "# type: ignore" in line and not re.search(r"# type: ignore\[[\w\-, ]+\]  # \S", line)
    ]
    assert bare == []


def test_the_as_of_predicate_is_written_once() -> None:
    """Queries over the version tables go through ``schema.as_of_span``."""
    writing = [p.name for p in _modules() if "to_seq IS NULL OR" in p.read_text(encoding="utf-8")]
    assert writing == ["schema.py"]
