"""`make mutation` runs mutmut (configured in pyproject.toml) over every money module, each against its tests."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import mutation  # noqa: E402

MONEY_MODULES = [
    "lending/finance/accrual.py",
    "lending/finance/allocation.py",
    "lending/finance/amortization.py",
    "lending/finance/apr.py",
    "lending/finance/daycount.py",
    "lending/finance/delinquency.py",
    "lending/finance/escrow.py",
    "lending/finance/late_fees.py",
    "lending/finance/money.py",
    "lending/finance/payoff.py",
    "lending/finance/prepayment.py",
    "lending/finance/ratios.py",
    "lending/finance/reamortization.py",
    "lending/finance/roll_rates.py",
    "lending/finance/uli.py",
    "servicing/services/posting.py",
    "servicing/services/payments.py",
    "servicing/services/payments_batch.py",
    "servicing/services/import_batches.py",
    "servicing/services/payoff.py",
    "servicing/services/replay.py",
    "servicing/services/onboarding.py",
    "servicing/services/ledger.py",
    "servicing/services/ledger_entry.py",
    "servicing/services/posting_write.py",
    "servicing/services/ledger_bulk.py",
    "servicing/services/nightly/steps/interest.py",
    "servicing/services/fees.py",
    "servicing/services/ach_returns.py",
    "servicing/services/ach.py",
    "servicing/services/ach_files.py",
    "servicing/services/ach_drafts.py",
    "servicing/services/ach_nightly.py",
    "servicing/services/escrow.py",
    "servicing/services/escrow_analysis.py",
    "servicing/services/nightly/steps/escrow.py",
    "servicing/services/documents.py",
    "servicing/services/escrow_statements.py",
    "servicing/services/collections.py",
    "servicing/services/charge_off.py",
    "servicing/services/plans.py",
    "servicing/services/modification.py",
    "servicing/services/modification_trial.py",
    "servicing/services/ledger_daily.py",
    "servicing/services/portfolio_strata.py",
]


def test_make_mutation_runs_the_driver_with_an_optional_module():
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^mutation:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe is not None
    assert recipe.group(1).strip() == "$(BIN)/python scripts/mutation.py $(MODULE)"


def test_every_money_module_is_listed_with_existing_tests():
    assert sorted(mutation.MODULES) == sorted(MONEY_MODULES)
    for module in mutation.MODULES:
        assert (ROOT / module).is_file(), module
        assert mutation.tests_of(module), module
        assert all((ROOT / path).exists() for path in mutation.tests_of(module)), module


def test_a_module_runs_against_its_own_test_files():
    assert mutation.tests_of("lending/finance/delinquency.py")[0] == "tests/finance/test_delinquency.py"
    assert "tests/finance/test_allocation_due_first.py" in mutation.tests_of("lending/finance/allocation.py")
    assert mutation.tests_of("servicing/services/payoff.py") == [
        "tests/servicing/test_payoff_figures.py",
        "tests/servicing/test_payoff_post.py",
        "tests/servicing/test_payoff_postgres.py",
        "tests/servicing/test_payoff_rules.py",
        "tests/servicing/test_payoff_views.py",
    ]
    assert mutation.tests_of("servicing/services/payments_batch.py") == ["tests/servicing/test_payments_batch_rules.py"]
    assert mutation.tests_of("servicing/services/import_batches.py") == [
        "tests/servicing/test_import_batches_commit.py",
        "tests/servicing/test_import_batches_parse_money.py",
        "tests/servicing/test_import_batches_parsers.py",
        "tests/servicing/test_import_batches_reading.py",
        "tests/servicing/test_import_batches_staging.py",
        "tests/servicing/test_import_batches_workers.py",
        "tests/servicing/test_imports_payments.py",
        "tests/servicing/test_boarding_transfer.py",
    ]
    assert "servicing/services/import_batches.py" in mutation.BOTH_DATABASES  # its workers fork on PostgreSQL only
    assert "tests/servicing/test_posting_rules.py" in mutation.tests_of("servicing/services/posting.py")
    payments = mutation.tests_of("servicing/services/payments.py")
    assert "tests/servicing/test_payments_post_rules.py" in payments
    assert "tests/servicing/test_payments_state_machine.py" not in payments  # 100 s a surviving mutant
    assert mutation.tests_of("servicing/services/charge_off.py") == [
        "tests/servicing/collections/test_charge_off.py",
        "tests/servicing/collections/test_charge_off_demo.py",
        "tests/servicing/collections/test_charge_off_postgres.py",
        "tests/servicing/collections/test_views_charge_off.py",
    ]


def test_every_finance_module_is_listed():
    finance = {f"lending/finance/{p.name}" for p in (ROOT / "lending/finance").glob("*.py") if p.name != "__init__.py"}
    assert finance <= set(mutation.MODULES)


def test_mutmut_is_configured_in_pyproject_and_a_dev_dependency():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["mutmut"]["source_paths"] == ["lending", "crm", "origination", "servicing"]
    assert "--hypothesis-seed=0" in pyproject["tool"]["mutmut"]["pytest_add_cli_args"]
    assert any(dep.startswith("mutmut") for dep in pyproject["project"]["optional-dependencies"]["dev"])


def test_each_run_narrows_mutmut_to_one_module_and_its_tests():
    config = tomllib.loads(mutation._pyproject("lending/finance/delinquency.py", ["tests/finance"]))
    assert config["tool"]["mutmut"]["only_mutate"] == ["lending/finance/delinquency.py"]
    assert config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"] == ["tests/finance"]
    assert config["tool"]["pytest"]["ini_options"]["DJANGO_SETTINGS_MODULE"] == "lending.settings"


def test_the_score_counts_only_tried_mutants_and_nothing_tried_is_zero():
    stopped = mutation.Row("lending/finance/allocation.py", mutants=10, killed=6, not_run=2, seconds=1)
    assert (stopped.survived, stopped.score) == (2, 0.75)
    assert mutation.Row("m.py", mutants=5, killed=0, not_run=5, seconds=0).score == 0.0
    assert mutation.Row("m.py", mutants=0, killed=0, not_run=0, seconds=0).score == 1.0


def test_a_mutants_session_leaves_out_the_plugins_no_mutation_test_needs():
    """Each mutant is a pytest session: Faker's plugin and the unraisable/thread exception plugins cost most of a
    short session's CPU (pyproject.toml says how much), and no test uses them."""
    args = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["pytest_add_cli_args"]
    disabled = {args[i + 1] for i, arg in enumerate(args) if arg == "-p"}
    assert disabled == {"no:cacheprovider", "no:xdist", "no:faker", "no:unraisableexception", "no:threadexception"}
    uses_faker_fixture = re.compile(r"def \w+\([^)]*\bfaker\b")
    assert [p for p in (ROOT / "tests").rglob("*.py") if uses_faker_fixture.search(p.read_text())] == []


def test_side_by_side_runs_start_the_servicing_modules_and_the_largest_first():
    order = mutation.longest_first(
        [
            "lending/finance/ratios.py",
            "servicing/services/replay.py",
            "lending/finance/apr.py",
            "servicing/services/payments.py",
        ]
    )
    assert order == [
        "servicing/services/payments.py",
        "servicing/services/replay.py",
        "lending/finance/apr.py",
        "lending/finance/ratios.py",
    ]


def test_a_postgres_run_reuses_one_test_database_across_the_mutants_sessions():
    config = tomllib.loads(mutation._pyproject("servicing/services/ledger_entry.py", ["tests/x.py"], reuse_db=True))
    assert config["tool"]["mutmut"]["pytest_add_cli_args"][-1] == "--reuse-db"
    plain = tomllib.loads(mutation._pyproject("servicing/services/ledger_entry.py", ["tests/x.py"]))
    assert "--reuse-db" not in plain["tool"]["mutmut"]["pytest_add_cli_args"]


# mutmut 3 makes no mutant of a decorated function (other than a staticmethod or classmethod), so a money write
# marked `@transaction.atomic` would take no part in the score: the money modules open the transaction inside the
# body (`with transaction.atomic():`). The functions below keep their decorator, each for its reason.
DECORATED_ON_PURPOSE = {
    # A read-only figure on a result object; each is pinned by its module's tests and was mutated by hand.
    "property",
    # Pure lookups cached per process: the cache is the point; what they return is pinned by the tests.
    "cache",
    "functools.cache",
    "lru_cache(maxsize=4096)",
    # mutmut mutates these (its trampoline supports them).
    "classmethod",
    "staticmethod",
}


def test_no_money_function_is_hidden_from_mutation_by_a_decorator():
    hidden = []
    for module in mutation.MODULES:
        for node in ast.walk(ast.parse((ROOT / module).read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                decorators = {ast.unparse(decorator) for decorator in node.decorator_list}
                if decorators - DECORATED_ON_PURPOSE:
                    hidden.append(f"{module}: {node.name} {sorted(decorators)}")
    assert hidden == []


def _state(workdir: Path, module: str, codes: dict) -> None:
    meta = workdir / "mutants" / f"{module}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))


def test_a_module_run_on_both_databases_counts_a_mutant_killed_by_either(tmp_path, monkeypatch):
    """ledger_entry.py's one-statement writes run on PostgreSQL only, its fallbacks on SQLite only: a mutant of
    either branch is killed by one run and survives the other."""
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/ledger_entry.py"
    killed, survived = 1, 0
    _state(tmp_path / "servicing.services.ledger_entry", module, {"a": killed, "b": survived, "c": survived, "d": None})
    _state(
        tmp_path / "servicing.services.ledger_entry.postgres",
        module,
        {"a": survived, "b": killed, "c": survived, "d": killed},
    )
    assert mutation.merged_codes(module) == {"a": killed, "b": killed, "c": survived, "d": killed}
    assert mutation.report_module(module) == mutation.Row(module, mutants=4, killed=3, not_run=0, seconds=0)


def test_a_survivor_only_postgresql_tests_reach_is_listed_as_survived_not_as_no_tests(tmp_path, monkeypatch):
    """posting_write.py's one-statement branch runs on PostgreSQL only: no SQLite test reaches its mutants ("no
    tests"), the PostgreSQL run's tests do. Its survivor must be listed as one a test ran against."""
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/posting_write.py"
    killed, survived, no_tests = 1, 0, 33
    _state(tmp_path / "servicing.services.posting_write", module, {"a": no_tests, "b": survived, "c": no_tests})
    _state(
        tmp_path / "servicing.services.posting_write.postgres",
        module,
        {"a": survived, "b": no_tests, "c": killed},
    )
    assert mutation.merged_codes(module) == {"a": survived, "b": survived, "c": killed}
    assert mutation.survivors(module) == [("a", "survived"), ("b", "survived")]


def test_a_module_without_a_postgresql_run_is_scored_on_its_sqlite_run(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "lending/finance/money.py"
    _state(tmp_path / "lending.finance.money", module, {"a": 1, "b": 0, "c": None})
    assert mutation.report_module(module) == mutation.Row(module, mutants=3, killed=1, not_run=1, seconds=0)


def test_each_module_run_on_postgresql_keeps_its_own_test_database():
    url = "postgres://lending@127.0.0.1:5432/lending"
    assert mutation.own_database(url, "servicing/services/ledger_entry.py") == (
        "postgres://lending@127.0.0.1:5432/mutation_servicing_services_ledger_entry"
    )
    assert mutation.own_database(url, "servicing/services/posting_write.py") != mutation.own_database(
        url, "servicing/services/ledger_entry.py"
    )
    assert mutation.own_database(None, "servicing/services/ledger_entry.py") is None


def test_mypy_checks_the_mutants_first_with_the_projects_strict_settings(tmp_path):
    """A mutant mypy rejects could never pass `make lint`: mutmut marks it caught and runs no test for it."""
    config = tomllib.loads(mutation._pyproject("servicing/services/posting.py", ["tests/x.py"], type_cache=tmp_path))
    command = config["tool"]["mutmut"]["type_check_command"]
    assert "mypy" in command  # how mutmut knows to parse mypy's output
    assert command[-3:] == ["--cache-dir", str(tmp_path), "servicing/services/posting.py"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    mypy = config["tool"]["mypy"]
    assert mypy["overrides"] == project["overrides"]  # the strict services and finance, the untyped libraries
    assert mypy["plugins"] == ["mypy_django_plugin.main"]
    assert config["tool"]["django-stubs"] == {"django_settings_module": "lending.settings"}
    # Only what mutmut's own trampolines would break: its bare `# type: ignore` lines outside any mutant.
    assert {key: mypy[key] for key in mypy if mypy[key] != project.get(key)} == {
        "warn_unused_ignores": False,
        "warn_unused_configs": False,
    }
    assert "enable_error_code" not in mypy


def test_without_a_type_cache_every_mutant_runs_against_the_tests():
    config = tomllib.loads(mutation._pyproject("servicing/services/posting.py", ["tests/x.py"]))
    assert "type_check_command" not in config["tool"]["mutmut"]
    assert "mypy" not in config["tool"]


def test_the_table_counts_the_mutants_mypy_caught_as_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "lending/finance/money.py"
    caught, killed, survived, timeout = 37, 1, 0, 36
    _state(tmp_path / "lending.finance.money", module, {"a": caught, "b": killed, "c": survived, "d": timeout})
    row = mutation.report_module(module)
    assert row == mutation.Row(module, mutants=4, killed=3, not_run=0, seconds=0, type_caught=1)
    assert (row.survived, row.score) == (1, 0.75)


def test_the_minimal_toml_writer_keeps_arrays_of_tables_and_booleans():
    data = {"tool": {"mypy": {"strict": True, "files": ["a"], "overrides": [{"module": ["x.*"], "flag": False}]}}}
    assert tomllib.loads(mutation._toml(data)) == data


def test_each_mutants_session_learns_which_tests_kill_its_functions_mutants(tmp_path):
    from tests.mutation_order import KillerFirst, function_of, killer_first, read_kills

    assert function_of("servicing.services.posting.x_post__mutmut_12") == "servicing.services.posting.x_post"
    assert function_of("m.xǁPaymentErrorǁ__init____mutmut_3") == "m.xǁPaymentErrorǁ__init__"
    path = tmp_path / "killers.tsv"
    assert read_kills(path, "m.x_f") == {}
    path.write_text("m.x_f\tt::slow\nm.x_g\tt::fast\nm.x_f\tt::slow\nm.x_f\tt::other\n")
    kills = read_kills(path, "m.x_f")
    assert kills == {"t::slow": 2, "t::other": 1}
    # The killers first, the most kills first; then the others fastest first, unknown durations last.
    tests = ["t::unknown", "t::fast", "t::other", "t::medium", "t::slow"]
    durations = {"t::fast": 0.1, "t::medium": 0.5, "t::slow": 9.0, "t::other": 3.0}
    assert killer_first(tests, kills, durations) == ["t::slow", "t::other", "t::fast", "t::medium", "t::unknown"]
    assert isinstance(KillerFirst(path), KillerFirst)


def test_a_failed_test_is_recorded_against_the_mutants_function(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from tests.mutation_order import KillerFirst

    path = tmp_path / "killers.tsv"
    plugin = KillerFirst(path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "m.x_f__mutmut_4")
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=False, nodeid="t::passes"))
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=True, nodeid="t::kills"))
    monkeypatch.setenv("MUTANT_UNDER_TEST", "")  # mutmut's own runs (the clean run) record nothing
    plugin.pytest_runtest_logreport(SimpleNamespace(failed=True, nodeid="t::clean_run_failure"))
    assert path.read_text() == "m.x_f\tt::kills\n"


def test_a_mutants_session_runs_the_killers_first(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from tests.mutation_order import KillerFirst

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": {"t::a": 0.2, "t::b": 0.1}}))
    path = tmp_path / "killers.tsv"
    path.write_text("m.x_f\tt::c\n")
    items = [SimpleNamespace(nodeid=nodeid) for nodeid in ("t::a", "t::b", "t::c")]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "m.x_f__mutmut_9")
    KillerFirst(path).pytest_collection_modifyitems(items)
    assert [item.nodeid for item in items] == ["t::c", "t::b", "t::a"]
    monkeypatch.delenv("MUTANT_UNDER_TEST")
    KillerFirst(path).pytest_collection_modifyitems(items)  # outside a mutant's session: untouched
    assert [item.nodeid for item in items] == ["t::c", "t::b", "t::a"]


def test_the_type_cache_is_primed_with_the_modules_own_settings_in_a_fresh_clone(tmp_path, monkeypatch):
    """Primed beside the template's migration, so before var/mutation/ may exist (a fresh clone); with the settings
    the modules' checks use, since mypy keeps a module's cache only for the options it was checked with."""
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path / "var" / "mutation")
    seen = {}

    def fake_mypy(command, **kwargs):
        config = Path(command[command.index("--config-file") + 1])
        seen["settings"] = tomllib.loads(config.read_text())["tool"]
        seen["command"] = command

    monkeypatch.setattr(mutation.subprocess, "run", fake_mypy)
    cache = mutation.primed_type_cache(["lending/finance/uli.py", "servicing/services/posting.py"])
    assert cache.parent == tmp_path / "var" / "mutation"
    modules = ["lending/finance/uli.py", "servicing/services/posting.py"]
    assert seen["command"][:-2] == mutation.type_check_command(cache, modules)
    assert seen["command"][-2] == "--config-file"
    module_config = tomllib.loads(mutation._pyproject("lending/finance/uli.py", [], type_cache=cache))["tool"]
    assert seen["settings"] == {"mypy": module_config["mypy"], "django-stubs": module_config["django-stubs"]}
    assert list((tmp_path / "var" / "mutation").iterdir()) == []  # the settings file is removed once primed


def test_a_stopped_run_counts_the_mutants_it_tried(tmp_path, monkeypatch):
    """Stopped by a signal (mutmut exits non-zero): its row still gives the verdicts mutmut recorded, not 0 %."""
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/ledger_entry.py"
    stale = tmp_path / "servicing.services.ledger_entry.postgres"
    _state(stale, module, {"a": 1, "b": 1, "c": 1})  # an earlier run's PostgreSQL half

    def stopped(module, cores, template, log, database_url, type_cache):
        _state(tmp_path / "servicing.services.ledger_entry", module, {"a": 1, "b": 0, "c": None})
        return False

    monkeypatch.setattr(mutation, "_mutmut", stopped)
    row = mutation.run_module(module, 1, tmp_path / "template.sqlite3", database_url="postgres://x/y")
    assert (row.mutants, row.killed, row.not_run, row.survived) == (3, 1, 1, 1)
    assert not stale.exists()


def test_the_postgresql_half_tries_only_what_the_sqlite_run_left_alive(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/posting_write.py"
    prefix = "servicing.services.posting_write."
    calls = []

    def run(module, cores, template, log, database_url, type_cache, names=None):
        calls.append((template is None, type_cache, names))
        if template is not None:
            codes = {prefix + "x_a__mutmut_1": 1, prefix + "x_a__mutmut_2": 0, prefix + "x_b__mutmut_1": 37}
            codes |= {prefix + "x_b__mutmut_2": None, prefix + "x_b__mutmut_3": 36}  # not tried; timed out
            _state(tmp_path / "servicing.services.posting_write", module, codes)
        return True

    monkeypatch.setattr(mutation, "_mutmut", run)
    cache = tmp_path / "cache"
    mutation.run_module(module, 1, tmp_path / "t.sqlite3", database_url="postgres://x/y", type_cache=cache)
    assert calls == [(False, cache, None), (True, None, [prefix + "x_a__mutmut_2", prefix + "x_b__mutmut_2"])]


def test_nothing_left_alive_on_sqlite_starts_no_postgresql_half(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/posting_write.py"
    calls = []

    def run(module, cores, template, log, database_url, type_cache, names=None):
        calls.append(template is None)
        _state(
            tmp_path / "servicing.services.posting_write", module, {"servicing.services.posting_write.x_a__mutmut_1": 1}
        )
        return True

    monkeypatch.setattr(mutation, "_mutmut", run)
    mutation.run_module(module, 1, tmp_path / "t.sqlite3", database_url="postgres://x/y")
    assert calls == [False]


def test_a_module_only_postgresql_tests_reach_runs_its_postgresql_half_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    module = "servicing/services/portfolio_strata.py"
    assert module in mutation.POSTGRES_ONLY
    assert mutation.POSTGRES_ONLY <= mutation.BOTH_DATABASES  # `make mutation` starts PostgreSQL for them
    calls = []

    def run(module, cores, template, log, database_url, type_cache, names=None):
        calls.append((template is None, database_url))
        return True

    monkeypatch.setattr(mutation, "_mutmut", run)
    mutation.run_module(module, 1, tmp_path / "t.sqlite3", database_url="postgres://x/y")
    assert calls == [(True, "postgres://x/y")]
    calls.clear()
    mutation.run_module(module, 1, tmp_path / "t.sqlite3", database_url=None)  # no PostgreSQL: SQLite, as it can
    assert calls == [(False, None)]


def test_mutmut_runs_without_its_clean_run_and_everything_else_as_mutmut_has_it():
    """The stats pass runs every test on the unmutated code and stops the run when one fails; the clean run would
    repeat it. The launcher skips only that (a mutmut upgrade that renames what it replaces fails here)."""
    code = (
        "import sys; sys.path.insert(0, 'scripts'); import mutmut_run as m; from mutmut.workers import isolation as i;"
        "forced_fail = i.ForkRunner.run_forced_fail; m.skip_clean_runs();"
        "print(i.ForkRunner.run_clean_tests(None, ['t.py::x']), i.ForkServerRunner.run_clean_tests(None, []),"
        "      i.ForkRunner.run_forced_fail is forced_fail)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "True"]


def test_each_module_is_run_through_the_launcher(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "SCRATCH", tmp_path)
    commands = []
    monkeypatch.setattr(
        mutation.subprocess,
        "run",
        lambda command, **kwargs: commands.append(command) or subprocess.CompletedProcess(command, 0),
    )
    assert mutation._mutmut("lending/finance/ratios.py", 2, tmp_path / "t.sqlite3", None, None, None, ["m__mutmut_1"])
    assert commands == [
        [sys.executable, str(ROOT / "scripts" / "mutmut_run.py"), "run", "--max-children", "2", "m__mutmut_1"]
    ]


def test_a_mutants_session_runs_plain_asserts_and_an_infinite_loop_stops_at_ten_times_its_tests():
    mutmut = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert "--assert=plain" in mutmut["pytest_add_cli_args"]
    assert (mutmut["timeout_multiplier"], mutmut.get("timeout_constant", 1.0)) == (5.0, 1.0)


def test_a_property_test_runs_its_budget_or_the_mutation_runs_lower_caps(monkeypatch):
    from tests.hypothesis_budget import examples

    monkeypatch.delenv("LENDING_HYPOTHESIS_EXAMPLES", raising=False)
    assert (examples(200), examples(200, mutation=10)) == (200, 200)
    monkeypatch.setenv("LENDING_HYPOTHESIS_EXAMPLES", "50")
    assert (examples(200), examples(40), examples(200, mutation=10), examples(8, mutation=10)) == (50, 40, 10, 8)
