#!/usr/bin/env python
"""Run every bench/bench_*.py in turn; each prints its figures beside their targets. Never fails the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench._report import IDLE_LOAD, machine_speed, speed_note, speed_summary, wait_for_idle

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.name for n in names)]
    speeds: dict[str, float] = {}
    for script in scripts:
        load, idle = wait_for_idle()
        speeds[script.stem] = machine_speed()
        print(f"\n== {script.stem} (load average {load:.2f} on {os.cpu_count()} cores at start)", flush=True)
        print(speed_note(speeds[script.stem], max(speeds.values())), flush=True)
        if not idle:
            print(
                f"BUSY: the machine's load stayed at {load:.2f} (>= {IDLE_LOAD}) before this bench: its timings do not "
                "count (other work shared the cores); its query counts still do.",
                flush=True,
            )
        subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=HERE.parent, check=False)
    if speeds:
        print(f"\n{speed_summary(speeds)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
