"""Fill the zh_Hans catalogue from JSON files of {msgid: translation}.

Used after `makemessages`: clears fuzzy guesses, fills what the JSON files
know, and lists what is still untranslated (exit 1 if anything is).
Usage: python scripts/po_fill.py [translations.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "src/linli/locale/zh_Hans/LC_MESSAGES/django.po"


def main(paths: list[str]) -> int:
    known: dict[str, str] = {}
    for p in paths:
        known.update(json.loads(Path(p).read_text(encoding="utf-8")))
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.msgstr = ""
            entry.msgstr_plural = {k: "" for k in entry.msgstr_plural}
        text = known.get(entry.msgid)
        if entry.msgid_plural:
            if text and not entry.msgstr_plural.get(0):
                entry.msgstr_plural = {0: text}
            if not entry.msgstr_plural.get(0):
                missing.append(entry.msgid)
        else:
            if text and not entry.msgstr:
                entry.msgstr = text
            if not entry.msgstr:
                missing.append(entry.msgid)
    po.save()
    for m in missing:
        print("untranslated:", m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
