"""Generated blocks inside the Markdown docs, kept equal to the code they describe.

A block is fenced by `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`;
`scripts/docs_tables.py` rewrites it and a test fails when it differs.
"""

from __future__ import annotations

import re


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated:{re.escape(name)} -->\n)(.*?)(<!-- /generated:{re.escape(name)} -->)",
        re.S,
    )


def read_block(text: str, name: str) -> str:
    """The content of the block `name`; ValueError if the document has none."""
    m = _pattern(name).search(text)
    if m is None:
        raise ValueError(f"no generated block {name!r}")
    return m.group(2)


def replace_block(text: str, name: str, content: str) -> str:
    """`text` with the block `name` holding `content`; ValueError if it has none."""
    read_block(text, name)
    return _pattern(name).sub(lambda m: m.group(1) + content + m.group(3), text, count=1)
