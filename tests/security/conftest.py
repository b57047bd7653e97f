"""Print the figures of the fuzz and corpus runs at the end of the session."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from .inprocess import FIGURES

    if FIGURES:
        terminalreporter.section("fuzz and hostile-corpus figures")
        for line in FIGURES.values():
            terminalreporter.write_line(line)
