#!/usr/bin/env python3
"""Run mypy and hold the error count to a baseline that may only shrink.

    python scripts/mypy_check.py            # check: fail if any file got worse
    python scripts/mypy_check.py --update   # rewrite the baseline after fixing errors
    python scripts/mypy_check.py --update --allow-growth   # accept more errors (say why)
    python scripts/mypy_check.py --fast     # reuse mypy's cache: quicker, may be stale

The baseline (`mypy-baseline.json`, committed) maps each file that has errors to
how many it has. Counts are per file, not per line, so editing a file without
adding errors never trips the check. The check fails when a file has more errors
than its baseline allows, or a file that is not in the baseline has any; it passes
when counts only went down, and says the baseline can be lowered.

mypy is configured in pyproject.toml ([tool.mypy]); this script adds nothing to that
configuration, so `mypy` run by hand reports the same errors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.json"
SHRINK_HINT = "baseline can shrink: run scripts/mypy_check.py --update"


@dataclass(frozen=True)
class MypyError:
    file: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}  [{self.code}]"


@dataclass
class Comparison:
    grown: dict[str, tuple[int, int]] = field(default_factory=dict)  # file: (allowed, now)
    new_files: dict[str, int] = field(default_factory=dict)  # file: now
    shrunk: dict[str, tuple[int, int]] = field(default_factory=dict)  # file: (allowed, now)

    @property
    def failed(self) -> bool:
        return bool(self.grown or self.new_files)


def parse_errors(lines: Iterable[str]) -> list[MypyError]:
    """The errors in mypy's JSON output (`-O json`, one object a line); notes are skipped."""
    errors = []
    for raw in lines:
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        item = json.loads(raw)
        if item.get("severity") != "error":
            continue
        errors.append(
            MypyError(
                file=Path(item["file"]).as_posix(),
                line=int(item.get("line") or 0),
                code=item.get("code") or "misc",
                message=item.get("message", ""),
            )
        )
    return errors


def count_by_file(errors: Iterable[MypyError]) -> dict[str, int]:
    return dict(sorted(Counter(e.file for e in errors).items()))


def count_by_code(errors: Iterable[MypyError]) -> dict[str, int]:
    return dict(Counter(e.code for e in errors).most_common())


def compare(baseline: Mapping[str, int], current: Mapping[str, int]) -> Comparison:
    result = Comparison()
    for file, now in current.items():
        if file not in baseline:
            if now:
                result.new_files[file] = now
        elif now > baseline[file]:
            result.grown[file] = (baseline[file], now)
        elif now < baseline[file]:
            result.shrunk[file] = (baseline[file], now)
    for file, allowed in baseline.items():
        if file not in current and allowed:
            result.shrunk[file] = (allowed, 0)
    return result


def updated_baseline(
    baseline: Mapping[str, int], current: Mapping[str, int], *, allow_growth: bool
) -> dict[str, int]:
    """The new baseline: the current counts. Refuses to grow unless allowed."""
    result = compare(baseline, current)
    if result.failed and not allow_growth:
        raise GrowthRefused(result)
    return {file: n for file, n in sorted(current.items()) if n}


class GrowthRefused(Exception):
    def __init__(self, result: Comparison):
        super().__init__("the baseline would grow")
        self.result = result


def load_baseline(path: Path = BASELINE) -> dict[str, int]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): int(v) for k, v in data.get("files", {}).items()}


def save_baseline(counts: Mapping[str, int], path: Path = BASELINE) -> None:
    data = {
        "comment": (
            "mypy errors per file, allowed to shrink only; "
            "written by scripts/mypy_check.py --update"
        ),
        "total": sum(counts.values()),
        "files": dict(sorted(counts.items())),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def run_mypy(*, incremental: bool = False) -> list[MypyError]:
    env = dict(os.environ)
    # The django-stubs plugin imports the settings and the models at run time: make it
    # import this checkout's, whatever the virtualenv's editable install points at.
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "mypy", "-O", "json", "--no-error-summary"]
    if not incremental:
        # mypy's cache does not know that every `settings.X` depends on settings.py (the
        # plugin reads it), so a warm cache can report stale types: check from scratch.
        cmd.append("--no-incremental")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (configuration, crash)
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mypy failed to run (exit {proc.returncode})")
    return parse_errors(proc.stdout.splitlines())


def report(result: Comparison, errors: list[MypyError]) -> list[str]:
    out = []
    worse = sorted({*result.grown, *result.new_files})
    for file in worse:
        if file in result.grown:
            allowed, now = result.grown[file]
            out.append(f"{file}: {now} errors, baseline allows {allowed}")
        else:
            out.append(f"{file}: {result.new_files[file]} errors, not in the baseline (allows 0)")
        mine = [e for e in errors if e.file == file]
        for code, n in count_by_code(mine).items():
            out.append(f"    {n:3d} {code}")
        out.extend(f"    {e}" for e in sorted(mine, key=lambda e: e.line))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline")
    parser.add_argument(
        "--allow-growth", action="store_true", help="with --update: accept more errors"
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="use mypy's cache (quicker; may miss a change to settings.py)",
    )
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    args = parser.parse_args(argv)

    errors = run_mypy(incremental=args.fast)
    current = count_by_file(errors)
    baseline = load_baseline(args.baseline)
    total, allowed = sum(current.values()), sum(baseline.values())

    if args.update:
        try:
            new = updated_baseline(baseline, current, allow_growth=args.allow_growth)
        except GrowthRefused as refused:
            print("\n".join(report(refused.result, errors)))
            print("refused: the baseline would grow (fix the errors, or --allow-growth)")
            return 1
        save_baseline(new, args.baseline)
        print(f"mypy baseline written: {total} errors in {len(new)} files (was {allowed})")
        return 0

    result = compare(baseline, current)
    if result.failed:
        print("\n".join(report(result, errors)))
        print(f"FAILED: mypy errors above the baseline ({total} now, baseline {allowed})")
        return 1
    if result.shrunk:
        for file, (was, now) in sorted(result.shrunk.items()):
            print(f"{file}: {now} errors (baseline {was})")
        print(f"mypy: {total} errors, baseline {allowed}; {SHRINK_HINT}")
        return 0
    print(f"mypy: {total} errors, as in the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
