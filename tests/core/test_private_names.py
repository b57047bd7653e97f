"""Nothing calls another module's private helpers.

A name starting with one underscore is private to its module: another module
(of the same app or another) that needs it asks for a public function instead,
usually in the app's `policy.py` or `selectors.py`. This scans the source tree:
`from x import _name` and `module._name` where `module` was imported from linli.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "linli"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _violations(path: Path, root: Path = SRC.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(root)
    out: list[str] = []
    linli_modules: set[str] = set()  # local names bound to linli modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            from_linli = node.level > 0 or (node.module or "").startswith("linli")
            if not from_linli:
                continue
            for alias in node.names:
                if _private(alias.name):
                    out.append(f"{rel}:{node.lineno} imports {alias.name} from {node.module}")
                linli_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("linli"):
                    linli_modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in linli_modules
            and not node.value.id[:1].isupper()  # a class's own protected API, e.g. Model._meta
        ):
            out.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    return out


def test_no_module_reaches_into_another_modules_private_names():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += _violations(path)
    assert found == [], "\n".join(found)


def test_the_scan_finds_a_reach_in(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text(
        "from linli.appeals import services\nfrom .x import _hidden\n"
        "services._representative_units(None)\n",
        encoding="utf-8",
    )
    assert len(_violations(bad, tmp_path)) == 2
