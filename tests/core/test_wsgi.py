"""The web process's garbage collector (lending/wsgi.py): what startup loaded is frozen, and the youngest generation
is collected every 50,000 new objects. In a process of its own: importing the WSGI module changes the collector."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_module_freezes_startup_and_collects_young_objects_less_often():
    code = "import gc, lending.wsgi; print(gc.get_threshold(), gc.get_freeze_count() > 10_000)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[-2] == "(50000, 10, 10) True"
