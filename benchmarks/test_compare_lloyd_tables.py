"""Smoke test of ``python -m benchmarks.compare_lloyd``: every in-process table runs on tiny sizes.

The script's tables are what acceptance.md and docs/performance.md quote; one
of them (the stage-by-stage breakdown) read its pass arguments by position and
broke silently when those arguments changed. Here each table runs on the
``--quick`` grid, once, and must print its header and a row per case, with
scikit-learn's labels matched wherever the table compares them. (The startup
table starts fresh processes that compile from nothing: it has its own
benchmark, ``test_bench_startup.py``.)
"""

from __future__ import annotations

import re

from benchmarks import compare_lloyd

TABLES = {
    "lloyd": "### Lloyd vs Lloyd",
    "accelerated": "### Our algorithms vs scikit-learn's best",
    "default": "### Default fit",
    "offgrid": "### Off the hand-picked grid",
    "bandwidth": "### Lloyd's pass against the memory-bandwidth bound",
    "breakdown": "### One Lloyd pass, stage by stage",
}


def test_every_table_of_the_quick_run_prints_its_rows(capsys):
    compare_lloyd.main(["--quick", "--repeat", "1", "--tables", ",".join(TABLES)])
    out = capsys.readouterr().out
    sections = re.split(r"\n(?=### )", out)
    for name, title in TABLES.items():
        (section,) = [s for s in sections if s.startswith(title)]
        grid = compare_lloyd.QUICK_OFF_GRID if name == "offgrid" else compare_lloyd.QUICK_GRID
        rows = [line for line in section.splitlines() if re.match(r"\| [\d,]+ \|", line)]
        assert len(rows) == len(grid), (name, section)
        # No table reports a disagreement with scikit-learn (labels, seeds).
        assert "| no |" not in section and "| NO |" not in section, section
