"""The hostile corpus: values every parameter of every door must survive.

A `Hostile` value has its JSON token (sent as raw bytes, so lone surrogates, NaN and
Infinity arrive exactly as a hostile client writes them) and its text form (for a
path segment, a query parameter or a form field, percent-encoded with surrogates
kept as the bytes a broken client sends).

`API`: every value, for every API operation's every path, query and body parameter.
`TEXT`: the values that have a text form, for query strings and page forms.
`BODIES`: whole request bodies that are not what an operation takes.

The tests (`test_hostile_api.py`, `test_hostile_forms.py`) discover the doors from
the OpenAPI document and by walking the pages, so a new endpoint or form is covered
without touching this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Hostile:
    name: str
    token: str  # raw JSON
    text: str | None  # the text form; None when it has none (null, [], {})

    def quoted(self) -> str:
        """The text form percent-encoded for a URL (a lone surrogate as its bytes)."""
        assert self.text is not None
        return quote(self.text.encode("utf-8", "surrogatepass"), safe="")


def _s(name: str, text: str) -> Hostile:
    """A string value: its JSON token keeps lone surrogates as `\\uXXXX` escapes."""
    return Hostile(name, json.dumps(text), text)


def _raw(name: str, token: str, text: str | None = None) -> Hostile:
    return Hostile(name, token, token if text is None else text)


C0 = "".join(chr(c) for c in range(0x20))
DEEP = 3000

TEXT_VALUES = [
    _s("empty", ""),
    _s("blank", "   "),
    _s("nul", "\x00"),
    _s("nul-inside", "李\x00四"),
    _s("c0-controls", f"a{C0}b"),
    _s("del", "a\x7fb"),
    _s("c1-controls", "a\x80\x85\x9fb"),
    _s("lone-high-surrogate", "\ud800"),
    _s("lone-low-surrogate", "x\udfffy"),
    _s("bom-rtl-zero-width", "\ufeff\u202e\u200b名"),
    _s("non-characters", "\ufffe\uffff"),
    _s("emoji-astral", "😀𠀀"),
    _s("huge", "长" * 100_000),
    _s("markup", "<script>alert(1)</script>'\"&"),
    _s("sql", "' OR 1=1; --"),
    _s("formula", '=HYPERLINK("http://x")'),
    _s("path", "../../etc/passwd"),
    _s("percent", "%00%ff%"),
    _s("unknown-enum", "__no_such_value__"),
    _s("minus-one-text", "-1"),
    _s("int32-text", str(2**31)),
    _s("int64-text", str(2**63)),
    _s("int64-min-text", str(-(2**63) - 1)),
    _s("huge-int-text", "9" * 40),
    _s("nan-text", "NaN"),
    _s("inf-text", "-Infinity"),
    _s("float-text", "1e309"),
    _s("date-year-1", "0001-01-01"),
    _s("date-year-9999", "9999-12-31"),
    _s("date-invalid", "2025-02-30"),
    _s("date-zero", "0000-00-00"),
    _s("datetime-far", "9999-12-31T23:59:59+14:00"),
]

NUMBER_VALUES = [
    _raw("minus-one", "-1"),
    _raw("zero", "0"),
    _raw("int32", str(2**31)),
    _raw("int32-min", str(-(2**31) - 1)),
    _raw("int64", str(2**63)),
    _raw("int64-min", str(-(2**63) - 1)),
    _raw("huge-int", "9" * 400),
    _raw("fraction", "1.5"),
    _raw("nan", "NaN"),
    _raw("infinity", "Infinity"),
    _raw("minus-infinity", "-Infinity"),
    _raw("overflow-float", "1e309"),
    _raw("tiny-float", "4.9e-324"),
]

OTHER_VALUES = [
    _raw("true", "true"),
    _raw("null", "null", None),
    _raw("empty-list", "[]", None),
    _raw("list", '["\\ud800", -1, null]', None),
    _raw("empty-object", "{}", None),
    _raw("object", '{"\\ud800": {"a": NaN}}', None),
    _raw("deep-list", "[" * DEEP + "]" * DEEP, None),
    _raw("deep-object", '{"a":' * DEEP + "1" + "}" * DEEP, None),
]

API = TEXT_VALUES + NUMBER_VALUES + OTHER_VALUES
TEXT = [v for v in API if v.text is not None]

# Whole bodies, each sent with the content type it names.
BODIES = [
    ("empty", b"", "application/json"),
    ("not-json", b"{", "application/json"),
    ("json-list", b"[]", "application/json"),
    ("json-string-surrogate", b'"\\ud800"', "application/json"),
    ("nan-top", b"NaN", "application/json"),
    ("deep", b"[" * DEEP + b"]" * DEEP, "application/json"),
    ("surrogate-key", b'{"\\ud800": 1}', "application/json"),
    ("duplicate-keys", b'{"a": 1, "a": "\\u0000"}', "application/json"),
    ("bad-utf8", b'{"a": "\xff\xfe"}', "application/json"),
    ("utf16", '{"a": 1}'.encode("utf-16"), "application/json"),
    ("form-encoded", b"a=1&b=%00", "application/x-www-form-urlencoded"),
    ("multipart-no-boundary", b"--x\r\n", "multipart/form-data"),
    ("xml", b"<a/>", "application/xml"),
]
