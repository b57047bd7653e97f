"""The mypy baseline rule (scripts/mypy_check.py): counts may only shrink.

These tests exercise the comparison itself; they do not run mypy.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mypy_check.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("mypy_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["mypy_check"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("mypy_check", None)


def line(file, n, code="arg-type", severity="error"):
    return json.dumps(
        {
            "file": file,
            "line": n,
            "column": 1,
            "message": "m",
            "hint": None,
            "code": code,
            "severity": severity,
        }
    )


def test_parse_counts_errors_per_file_and_skips_notes(check):
    out = [
        line("src/linli/a.py", 3),
        line("src/linli/a.py", 9, "union-attr"),
        line("src/linli/a.py", 10, "annotation-unchecked", severity="note"),
        line("src/linli/b.py", 1),
        "not json: a stray line",
    ]
    errors = check.parse_errors(out)
    assert check.count_by_file(errors) == {"src/linli/a.py": 2, "src/linli/b.py": 1}
    assert check.count_by_code(errors) == {"arg-type": 2, "union-attr": 1}


def test_same_counts_pass(check):
    result = check.compare({"a.py": 2}, {"a.py": 2})
    assert not result.failed and not result.shrunk


def test_lines_moving_do_not_matter(check):
    before = check.count_by_file(check.parse_errors([line("a.py", 3), line("a.py", 9)]))
    after = check.count_by_file(check.parse_errors([line("a.py", 40), line("a.py", 91)]))
    assert not check.compare(before, after).failed


def test_a_file_that_grows_fails(check):
    result = check.compare({"a.py": 2, "b.py": 1}, {"a.py": 3, "b.py": 0})
    assert result.failed
    assert result.grown == {"a.py": (2, 3)}


def test_a_new_file_with_errors_fails(check):
    result = check.compare({"a.py": 2}, {"a.py": 2, "new.py": 1})
    assert result.failed
    assert result.new_files == {"new.py": 1}


def test_shrinking_passes_and_says_the_baseline_can_shrink(check):
    result = check.compare({"a.py": 3, "gone.py": 2}, {"a.py": 1})
    assert not result.failed
    assert result.shrunk == {"a.py": (3, 1), "gone.py": (2, 0)}


def test_update_lowers_the_baseline_and_drops_clean_files(check):
    assert check.updated_baseline({"a.py": 3, "b.py": 2}, {"a.py": 1}, allow_growth=False) == {
        "a.py": 1
    }


def test_update_refuses_to_grow_unless_allowed(check):
    with pytest.raises(check.GrowthRefused):
        check.updated_baseline({"a.py": 1}, {"a.py": 2}, allow_growth=False)
    with pytest.raises(check.GrowthRefused):
        check.updated_baseline({}, {"new.py": 1}, allow_growth=False)
    assert check.updated_baseline({"a.py": 1}, {"a.py": 2}, allow_growth=True) == {"a.py": 2}


def test_main_fails_on_growth_and_passes_on_shrink(check, tmp_path, monkeypatch, capsys):
    baseline = tmp_path / "baseline.json"
    check.save_baseline({"a.py": 2}, baseline)
    assert check.load_baseline(baseline) == {"a.py": 2}

    errors = check.parse_errors([line("a.py", 1), line("a.py", 2), line("a.py", 3)])
    monkeypatch.setattr(check, "run_mypy", lambda **kw: errors)
    assert check.main(["--baseline", str(baseline)]) == 1
    assert "baseline allows 2" in capsys.readouterr().out
    assert check.main(["--baseline", str(baseline), "--update"]) == 1
    assert check.load_baseline(baseline) == {"a.py": 2}

    monkeypatch.setattr(check, "run_mypy", lambda **kw: errors[:1])
    assert check.main(["--baseline", str(baseline)]) == 0
    assert check.SHRINK_HINT in capsys.readouterr().out
    assert check.main(["--baseline", str(baseline), "--update"]) == 0
    assert check.load_baseline(baseline) == {"a.py": 1}


def test_the_committed_baseline_is_well_formed(check):
    baseline = check.load_baseline()
    assert all(isinstance(n, int) and n > 0 for n in baseline.values())
    assert all(file.startswith("src/linli/") and file.endswith(".py") for file in baseline)
