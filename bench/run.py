#!/usr/bin/env python
"""Run every bench/bench_*.py in turn; each prints its figures beside their targets. Never fails the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.name for n in names)]
    for script in scripts:
        print(f"\n== {script.stem}", flush=True)
        subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=HERE.parent, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
