"""`make lint` type-checks with mypy and django-stubs: strict on the money math and every service and selector."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

STRICT = ["lending.finance.money", "lending.core.services", "crm.services", "origination.selectors.intake"]
STRICT += ["origination.credit.selectors", "servicing.services.ach", "servicing.selectors"]
DEFAULT = ["servicing.views.portal", "origination.models.applications", "lending.core.bulk", "tests.core.factories"]


def _lint_recipe() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe is not None
    return [line.strip() for line in recipe.group(1).splitlines()]


def test_make_lint_runs_mypy():
    assert "$(BIN)/mypy" in _lint_recipe()


@pytest.fixture(scope="module")
def mypy_options():
    config_parser = pytest.importorskip("mypy.config_parser")
    from mypy.options import Options

    options = Options()
    config_parser.parse_config_file(options, lambda: None, str(ROOT / "pyproject.toml"), sys.stdout, sys.stderr)
    return options


@pytest.mark.parametrize("module", STRICT)
def test_services_selectors_and_finance_are_strict(mypy_options, module):
    options = mypy_options.clone_for_module(module)
    assert (options.disallow_untyped_defs, options.disallow_any_generics, options.warn_return_any) == (True,) * 3


@pytest.mark.parametrize("module", DEFAULT)
def test_the_rest_gets_the_default_checks(mypy_options, module):
    assert mypy_options.clone_for_module(module).disallow_untyped_defs is False


def test_django_stubs_plugin_reads_the_project_settings(mypy_options):
    assert mypy_options.plugins == ["mypy_django_plugin.main"]
    assert 'django_settings_module = "lending.settings"' in (ROOT / "pyproject.toml").read_text()
