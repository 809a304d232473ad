"""lending.finance is pure Python: importing all of it loads no Django (or Celery) module."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import lending.finance

ROOT = Path(__file__).resolve().parents[2]


def test_finance_imports_no_django_module():
    modules = [f"lending.finance.{m.name}" for m in pkgutil.iter_modules(lending.finance.__path__)]
    assert "lending.finance.money" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(result.stdout) == []
