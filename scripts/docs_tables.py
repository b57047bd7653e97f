"""Rewrite the generated blocks of docs/ from the code (`--check` only compares).

.venv/bin/python scripts/docs_tables.py [--check]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")


def blocks() -> list[tuple[Path, str, str]]:
    """(document, block name, content) for every generated block."""
    import django

    django.setup()
    from linli.appeals.workflow import transitions_markdown

    return [(ROOT / "docs" / "appeals.md", "transitions", transitions_markdown())]


def main() -> int:
    from linli.core.docblocks import read_block, replace_block

    check = "--check" in sys.argv
    stale = []
    for path, name, content in blocks():
        text = path.read_text(encoding="utf-8")
        if read_block(text, name) != content:
            stale.append(f"{path.relative_to(ROOT)}:{name}")
            if not check:
                path.write_text(replace_block(text, name, content), encoding="utf-8")
    if stale:
        print(("stale: " if check else "rewrote: ") + ", ".join(stale))
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
