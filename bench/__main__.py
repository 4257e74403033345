"""Run every benchmark under bench/, print a table, write bench/report.json.

Each row compares a measurement with a baseline measured in the same run, as a
ratio, because shared machines are too noisy for absolute thresholds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _modules(only: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if not only or any(o in n for o in only)]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.1f}"
    return str(value)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="benchmarks whose name contains one of these")
    parser.add_argument(
        "--baseline-tree",
        metavar="DIR",
        help="scan: also load the app of this checkout, in the same rounds (before/after)",
    )
    args = parser.parse_args(argv)
    if args.baseline_tree:
        os.environ["BENCH_BASELINE_TREE"] = args.baseline_tree
    rows: list[dict[str, Any]] = []
    for name in _modules(args.only):
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        for row in module.run():
            rows.append({"module": name, **row})
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    widths = {k: max(len(k), *(len(_fmt(r.get(k, ""))) for r in rows)) for k in keys}
    print()
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in rows:
        print("  ".join(_fmt(row.get(k, "")).ljust(widths[k]) for k in keys))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "rows": rows,
    }
    out = HERE / "report.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nreport written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
