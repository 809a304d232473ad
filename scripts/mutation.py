"""`make mutation`: mutmut over the money modules, each against the tests that cover it, and a score table.

mutmut reads one `[tool.mutmut]` table and keeps its state in `./mutants`, so each module gets its own scratch
directory (var/mutation/<module>/) holding links to the code and tests and a pyproject.toml that narrows
`only_mutate` to the module and the test selection to its tests. mutmut then runs the tests in forked workers,
one per core (`--max-children`), and only the tests that reach the mutated function (it records coverage first).
Tests that need PostgreSQL skip themselves on SQLite, so they take no part in the run.

    python scripts/mutation.py                     # every listed module
    python scripts/mutation.py lending/finance/allocation.py
    python scripts/mutation.py --report lending/finance/allocation.py   # figures of the last run, even a stopped one
    python scripts/mutation.py --postgres servicing/services/ledger_entry.py   # on a throw-away PostgreSQL

A module with a PostgreSQL-only branch (the one-statement writes of ledger_entry.py and posting_write.py,
``BOTH_DATABASES``) has mutants no SQLite run reaches, and fallbacks no PostgreSQL run reaches: a run takes it
twice, on SQLite and on a throw-away PostgreSQL (scripts/testenv.py; every mutant's session reusing the module's
own migrated test database, ``--reuse-db``), and a mutant counts as killed when either run kills it. The
PostgreSQL half tries only what the SQLite run left alive (nothing else can change the merged verdict).
``--postgres`` runs only the PostgreSQL half.

Before any test runs, mypy checks every mutant (mutmut's ``type_check_command``): the money modules are typed
strictly and `make lint` runs mypy in CI, so a mutant mypy rejects could never be merged. mutmut marks it "caught
by type check" and runs no test for it; the table counts those in their own column. More than half of the
mutants are caught this way (docs/testing.md has the figures). ``--no-type-check`` runs every
mutant against the tests, as before session 12.

mutmut is started through scripts/mutmut_run.py: its own `run` command less the clean run, which repeats the
stats pass on the same code (that pass already stops the run when a test fails).
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "var" / "mutation"
TARGET = 0.90

# module -> the test files that cover it (globs, so new test files join; mutmut then narrows further, per mutated
# function, to the tests that reach it). The narrower the list, the shorter mutmut's first (coverage) pass.
MODULES: dict[str, list[str]] = {
    "lending/finance/accrual.py": ["tests/finance/test_accrual*.py"],
    "lending/finance/allocation.py": ["tests/finance/test_allocation*.py"],
    "lending/finance/amortization.py": [
        "tests/finance/test_amortization*.py",
        "tests/finance/test_reamortization*.py",
        "tests/finance/test_payoff*.py",
        "tests/finance/test_allocation_due_first*.py",
    ],
    "lending/finance/apr.py": ["tests/finance/test_apr*.py"],
    "lending/finance/daycount.py": [
        "tests/finance/test_daycount*.py",
        "tests/finance/test_amortization*.py",
        "tests/finance/test_delinquency*.py",
        "tests/finance/test_payoff*.py",
        "tests/finance/test_escrow*.py",
    ],
    "lending/finance/delinquency.py": ["tests/finance/test_delinquency*.py"],
    "lending/finance/escrow.py": ["tests/finance/test_escrow*.py"],
    "lending/finance/late_fees.py": ["tests/finance/test_late_fees*.py"],
    "lending/finance/money.py": ["tests/finance"],
    "lending/finance/payoff.py": ["tests/finance/test_payoff*.py"],
    "lending/finance/reamortization.py": ["tests/finance/test_reamortization*.py"],
    "lending/finance/uli.py": ["tests/finance/test_uli*.py"],
    "lending/finance/prepayment.py": ["tests/finance/test_prepayment*.py"],
    "lending/finance/ratios.py": ["tests/finance/test_ratios*.py", "tests/finance/test_roll_rates*.py"],
    "lending/finance/roll_rates.py": ["tests/finance/test_roll_rates*.py"],
}
PAYMENT_TESTS = [
    "tests/servicing/test_payments*.py",
    "tests/servicing/test_posting_rules.py",
    "tests/servicing/test_replay.py",
    "tests/servicing/test_reamortization.py",
]
# Posting and payments: their example tests, without the state-machine property test (about 100 s a surviving
# mutant under mutmut, where the example tests take about 40 s; the full suite still runs it).
POSTING_TESTS = [
    "tests/servicing/test_payments.py",
    "tests/servicing/test_payments_[bdp]*.py",  # batch, due_first, posting_write: not state_machine
    "tests/servicing/test_posting*.py",
    "tests/servicing/test_replay.py",
    "tests/servicing/test_reamortization.py",
]
MODULES |= {
    # Posting's pieces and rules, and payment_post's rules (which reach every piece), not the whole of POSTING_TESTS:
    # with those (the payments, batch, replay, payoff and reamortization example tests) a complete run could not
    # finish in a session (session 8 was stopped after 112 of 471 mutants); they repeat what the rule tests pin to
    # the cent, and the full suite still runs them.
    "servicing/services/posting.py": [
        "tests/servicing/test_posting*.py",
        "tests/servicing/test_payments_post_rules.py",
        "tests/servicing/test_boarding_transfer.py",  # interest paid through a transferred loan's boarding date
    ],
    # Its rule tests (each refusal, what a posting and a reversal write, the lost race, the replays they start,
    # posting's pieces as a payment uses them: a reversal's earned advance interest), not the whole of
    # POSTING_TESTS: with `_post` and `payment_reverse` mutated (session 10, 590 mutants) the wide list could not
    # finish in a session. Left to the full suite: the batch's seeded files and rules (payments_batch.py's own),
    # the one-statement writes (posting_write.py's), the re-amortisation and the admin screens (the same rules
    # through views).
    "servicing/services/payments.py": [
        "tests/servicing/test_payments.py",
        "tests/servicing/test_payments_post_rules*.py",
        "tests/servicing/test_payments_posting_write_plans.py",  # the plan mode set back on a repeat, a replay
        "tests/servicing/test_payments_post_commit.py",  # the COMMIT sent with the writes of a posting of its own
        "tests/servicing/test_payments_due_first.py",
        "tests/servicing/test_posting_pieces.py",
        "tests/servicing/test_posting_rules.py",
        "tests/servicing/test_replay.py",
    ],
    # The batch's rule tests (exact cents, each path), not test_payments_batch.py: its seeded files compared with
    # payment_post one at a time take 20-70 s each under mutmut, about 5 minutes a surviving mutant (the full suite
    # still runs them), nor the import's tests (they reach the batch through the file's staging).
    "servicing/services/payments_batch.py": ["tests/servicing/test_payments_batch_rules.py"],
    # The import's staging and commit: its rule tests (reading a file, the parsers, staging, committing, the
    # workers' shares: a small format of its own, tests/servicing/import_batches_toy.py), the payment format's
    # tests and the boarding format's transfer tests.
    "servicing/services/import_batches.py": [
        "tests/servicing/test_import_batches_*.py",
        "tests/servicing/test_imports_payments.py",
        "tests/servicing/test_boarding_transfer.py",
    ],
    "servicing/services/payoff.py": ["tests/servicing/test_payoff*.py"],
    # Not the whole of PAYMENT_TESTS: every payment reaches later_payments, and the two property tests there (the
    # state machine, 92 s; the random sequences, 37 s) made each replay mutant cost two minutes.
    # Boarding: the loan account's terms, its schedule and escrow, the disbursement entry (session 13; its write was
    # decorated with @transaction.atomic until then, so mutmut left it alone).
    "servicing/services/onboarding.py": [
        "tests/servicing/test_services_onboarding.py",
        "tests/servicing/test_onboarding_snapshot.py",
        "tests/servicing/test_board_loans.py",
        "tests/servicing/test_loan_property.py",  # the property's address copied at boarding
    ],
    "servicing/services/replay.py": [
        "tests/servicing/test_replay*.py",
        "tests/servicing/test_reamortization.py",
        "tests/servicing/test_posting_rules.py",
    ],
    # The one-statement writes payment_post uses (issue 15): their own tests and the posting rules, not the
    # payments' property tests (two minutes a mutant for what the example tests pin to the cent).
    "servicing/services/ledger_entry.py": [
        "tests/servicing/test_payments_posting_write*.py",
        "tests/servicing/test_posting_rules.py",
        "tests/servicing/test_payments_due_first.py",
        "tests/servicing/test_payments_post_commit.py",  # the strict entry statement a COMMIT is sent after
    ],
    "servicing/services/posting_write.py": [
        "tests/servicing/test_payments_posting_write*.py",
        "tests/servicing/test_posting_rules.py",
        "tests/servicing/test_payments_due_first.py",
    ],
    "servicing/services/ledger.py": ["tests/servicing/test_services_ledger*.py", "tests/servicing/test_ledger*.py"],
    # The close of business (issue 10): each money service against its step's tests.
    # journal_post_bulk is @transaction.atomic, which mutmut leaves alone (0 mutants): its rules tests are here for
    # a tool that mutates it (docs/testing.md, checked by hand).
    "servicing/services/ledger_bulk.py": [
        "tests/servicing/test_ledger_bulk*.py",
        "tests/servicing/nightly/test_interest.py",
    ],
    # Not the accrual state machine (175 s a run on the shared machine, where the example tests take 15 s).
    "servicing/services/nightly/steps/interest.py": [
        "tests/servicing/nightly/test_interest.py",
        "tests/servicing/nightly/test_interest_rules.py",
    ],
    # Late fees, and the waiver of any fee (a returned-payment fee's tests waive one).
    "servicing/services/fees.py": [
        "tests/servicing/nightly/test_late_fees*.py",
        "tests/servicing/nightly/test_returned_fee.py",
    ],
    "servicing/services/ach_returns.py": [
        "tests/servicing/nightly/test_ach*.py",
        "tests/servicing/nightly/test_returned_fee.py",
    ],
    # The services' tests and their rule tests; not the portal's autopay pages (they reach the services through
    # the forms and pin nothing the rule tests do not: the full suite still runs them).
    "servicing/services/ach.py": ["tests/servicing/test_ach_services*.py"],
    "servicing/services/ach_files.py": ["tests/servicing/test_ach_files.py", "tests/servicing/test_nacha.py"],
    "servicing/services/ach_drafts.py": [
        "tests/servicing/nightly/test_ach_draft*.py",
        "tests/servicing/nightly/test_ach_step.py",
    ],
    "servicing/services/ach_nightly.py": [
        "tests/servicing/nightly/test_ach_step.py",
        "tests/servicing/nightly/test_ach_nightly_rules.py",
    ],
    # The item rules (calendar, refusals in words, what a save writes) and the admin that saves through them.
    "servicing/services/escrow.py": ["tests/servicing/test_escrow_items.py", "tests/servicing/test_admin_escrow.py"],
    "servicing/services/escrow_analysis.py": ["tests/servicing/nightly/test_escrow*.py"],
    "servicing/services/nightly/steps/escrow.py": ["tests/servicing/nightly/test_escrow*.py"],
    # Statements and notices (issue 11), collections (issue 12).
    # Not the documents' pages (test_documents_views.py: pages of 25 stored documents, the admin): they reach the
    # services through the views and pin nothing the rule tests do not; the full suite still runs them.
    "servicing/services/documents.py": [
        "tests/servicing/test_documents_store.py",
        "tests/servicing/test_documents_delivery.py",
        "tests/servicing/test_documents_rules.py",
    ],
    "servicing/services/escrow_statements.py": ["tests/servicing/test_escrow_statements*.py"],
    # Its plain functions (calling hours, the loan's state, the round robin's team); the atomic writes, which mutmut
    # leaves alone, are pinned by the same tests.
    "servicing/services/collections.py": [
        "tests/servicing/collections/test_services_collections.py",
        "tests/servicing/collections/test_calling_hours.py",
        "tests/servicing/collections/test_views_collections.py",
        "tests/servicing/collections/test_promises_step.py",
    ],
    "servicing/services/charge_off.py": [
        "tests/servicing/collections/test_charge_off*.py",
        "tests/servicing/collections/test_views_charge_off.py",
    ],
    # Loss mitigation plans: repayment, forbearance, modification and its trial (issue 12).
    "servicing/services/plans.py": ["tests/servicing/plans/test_*.py"],
    "servicing/services/modification.py": [
        "tests/servicing/plans/test_modification*.py",
        "tests/servicing/plans/test_views_plans.py",
    ],
    "servicing/services/modification_trial.py": ["tests/servicing/plans/test_modification*.py"],
    # The kept tallies' merge and rebuild (issue 15): the ledger's daily totals and loan balance totals, and the
    # portfolio's strata (PostgreSQL's triggers only).
    "servicing/services/ledger_daily.py": [
        "tests/servicing/test_general_ledger.py",
        "tests/servicing/test_general_ledger_postgres.py",
        "tests/servicing/test_loan_balance_totals.py",
    ],
    "servicing/services/portfolio_strata.py": ["tests/servicing/test_portfolio_strata.py"],
}


# Modules with a PostgreSQL-only branch (the one-statement writes): a whole run runs each twice, on SQLite and on a
# throw-away PostgreSQL (its own scratch directory, var/mutation/<module>.postgres/), and a mutant counts as killed
# when either run kills it. Neither database alone reaches every branch.
BOTH_DATABASES = {
    "servicing/services/ledger_entry.py",
    "servicing/services/posting_write.py",
    "servicing/services/payments.py",  # the plan mode a posting sets back (posting_write), PostgreSQL's only
    "servicing/services/import_batches.py",  # the commit split between forked workers, PostgreSQL's only
    "servicing/services/ledger_daily.py",  # the merge of the kept rows: one statement on PostgreSQL
    "servicing/services/portfolio_strata.py",
}
# Of those, the modules every test of which needs PostgreSQL (the portfolio's strata are kept by its triggers only):
# the SQLite half would run no test at all (mutmut stops on that), so they run the PostgreSQL half alone.
POSTGRES_ONLY = {"servicing/services/portfolio_strata.py"}


def tests_of(module: str) -> list[str]:
    """The module's test paths with the globs expanded (sorted, relative to the project root)."""
    paths = [str(path.relative_to(ROOT)) for pattern in MODULES[module] for path in sorted(ROOT.glob(pattern))]
    return list(dict.fromkeys(paths))


# What the tests import or read: linked into the scratch directory (mutmut copies it into ./mutants).
PACKAGES = ["lending", "crm", "origination", "servicing"]
LINKED = [*PACKAGES, "tests", "templates", "static", "manage.py", "docker-compose.yml", "bench", "scripts"]

# mutmut's statuses that count as killed: the tests failed, hung (an infinite loop is caught) or crashed.
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


@dataclass(frozen=True)
class Row:
    module: str
    mutants: int
    killed: int  # by the tests, or by mypy (type_caught of them)
    not_run: int  # not tried yet: a run stopped early (Ctrl-C); `--report` scores what was tried
    seconds: int
    type_caught: int = 0

    @property
    def survived(self) -> int:
        """Not killed: survived, no test reached the mutant, or suspicious; all count against the score."""
        return self.mutants - self.killed - self.not_run

    @property
    def score(self) -> float:
        tried = self.mutants - self.not_run
        return self.killed / tried if tried else float(self.mutants == 0)


def _slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def _pyproject(module: str, tests: list[str], *, reuse_db: bool = False, type_cache: Path | None = None) -> str:
    """The project's pytest settings and [tool.mutmut] table, narrowed to this one module and its tests
    (``reuse_db``: every session keeps and reuses one migrated PostgreSQL test database; ``type_cache``: mypy checks
    the mutants first, with the project's mypy settings, from a copy of the run's primed cache)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    mutmut = {**tool["mutmut"], "only_mutate": [module], "pytest_add_cli_args_test_selection": tests}
    if reuse_db:
        mutmut["pytest_add_cli_args"] = [*mutmut["pytest_add_cli_args"], "--reuse-db"]
    tables = {"pytest": {"ini_options": tool["pytest"]["ini_options"]}, "mutmut": mutmut}
    if type_cache is not None:
        mutmut["type_check_command"] = type_check_command(type_cache, [module])
        tables |= {"mypy": _mypy_settings(tool["mypy"]), "django-stubs": tool["django-stubs"]}
    return _toml({"tool": tables})


def _mypy_settings(project: dict) -> dict:
    """The project's mypy settings, less what the mutants' copy cannot meet: mutmut adds ``# type: ignore`` without
    codes to its trampolines (errors outside any mutant, on which mutmut stops), and a module checked alone leaves
    the other overrides unused. Every check that can reject a mutant stays."""
    settings = {**project, "warn_unused_ignores": False, "warn_unused_configs": False}
    settings.pop("enable_error_code", None)  # ignore-without-code
    return settings


def type_check_command(cache: Path, paths: list[str]) -> list[str]:
    """mypy over ``paths``, one JSON line an error (what mutmut parses; it recognises mypy by the word ``mypy`` in
    the command)."""
    return [sys.executable, "-m", "mypy", "--output", "json", "--cache-dir", str(cache), *paths]


def primed_type_cache(modules: list[str]) -> Path:
    """mypy's cache for the listed modules and what they import, built once for the run: each module's check
    starts from a copy of it (about 30 MB; runs side by side do not share one cache directory) and re-checks only
    its mutated file, where a cold check would analyse Django's stubs and the project again (most of a minute)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)  # primed beside migrated_template(), which may not have made it yet
    cache = SCRATCH / f"mypy-cache-{os.getpid()}"
    shutil.rmtree(cache, ignore_errors=True)
    # The modules' own settings (mypy keeps a module's cache only for the options it was checked with).
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    config = SCRATCH / f"mypy-{os.getpid()}.toml"
    config.write_text(_toml({"tool": {"mypy": _mypy_settings(tool["mypy"]), "django-stubs": tool["django-stubs"]}}))
    command = [*type_check_command(cache, modules), "--config-file", str(config)]
    # Exit status 1 is a type error in the tree: `make lint` reports it; the modules' checks will stop on it.
    subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    config.unlink()
    return cache


def _toml(data: dict, prefix: str = "") -> str:
    """A minimal TOML writer for what the config above holds: tables and arrays of tables of strings, booleans and
    lists of strings."""
    lines, tables, arrays = [], [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))  # an array of tables: [[tool.mypy.overrides]]
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    text = "\n".join(lines) + "\n" if lines else ""
    for key, value in arrays:
        name = f"{prefix}.{key}" if prefix else key
        for table in value:
            text += f"\n[[{name}]]\n" + _toml(table)
    for key, value in tables:
        name = f"{prefix}.{key}" if prefix else key
        body = _toml(value, name)
        if any(not isinstance(v, dict) for v in value.values()):
            text += f"\n[{name}]\n"
        text += body
    return text


def _workdir(module: str, *, postgres: bool = False) -> Path:
    return SCRATCH / (_slug(module) + (".postgres" if postgres else ""))


def _prepare(module: str, *, postgres: bool = False, type_cache: Path | None = None) -> Path:
    workdir = _workdir(module, postgres=postgres)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    for name in LINKED:
        if (ROOT / name).exists():
            (workdir / name).symlink_to(ROOT / name)
    own_cache = None
    if type_cache is not None:
        own_cache = workdir / "mypy-cache"
        shutil.copytree(type_cache, own_cache)
    text = _pyproject(module, tests_of(module), reuse_db=postgres, type_cache=own_cache)
    (workdir / "pyproject.toml").write_text(text)
    return workdir


def _codes(workdir: Path, module: str) -> dict[str, int | None]:
    """Each mutant's exit code from the module's mutmut state file (None: not tried); none (no run) is empty."""
    meta_path = workdir / "mutants" / f"{module}.meta"
    if not meta_path.exists():
        return {}
    return json.loads(meta_path.read_text())["exit_code_by_key"]


def merged_codes(module: str) -> dict[str, int | None]:
    """The module's verdicts: its SQLite run's, where its PostgreSQL run (BOTH_DATABASES) killed a mutant that
    one's verdict instead, where only the PostgreSQL run tried a mutant that one's, and where the PostgreSQL run's
    tests reached a mutant no SQLite test reached (PostgreSQL-only code) that one's: its survivor is then listed
    as survived, not as "no tests"."""
    from mutmut.stats import status_by_exit_code

    codes = _codes(_workdir(module), module)
    for key, code in _codes(_workdir(module, postgres=True), module).items():
        if code is None:
            continue
        mine = codes.get(key)
        if mine is None or status_by_exit_code[code] in KILLED or _reached(code) > _reached(mine):
            codes[key] = code
    return codes


def _reached(code: int) -> bool:
    """Whether a test ran against the mutant (mutmut's "no tests": none of the module's tests reaches it)."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[code] != "no tests"


def survivors(module: str) -> list[tuple[str, str]]:
    """The module's mutants not killed, each with its merged verdict ("survived", "no tests", "not checked"...)."""
    from mutmut.stats import status_by_exit_code

    return sorted(
        (name, status_by_exit_code[code])
        for name, code in merged_codes(module).items()
        if code is None or status_by_exit_code[code] not in KILLED
    )


def _count(codes: dict[str, int | None]) -> tuple[int, int, int, int]:
    """(mutants, killed, not run, caught by mypy)."""
    from mutmut.stats import status_by_exit_code

    killed = sum(code is not None and status_by_exit_code[code] in KILLED for code in codes.values())
    typed = sum(code is not None and status_by_exit_code[code] == "caught by type check" for code in codes.values())
    return len(codes), killed, sum(code is None for code in codes.values()), typed


def migrated_template() -> Path:
    """One SQLite database migrated for this run: every mutant's pytest session copies it (tests/conftest.py)
    instead of migrating its own, which costs about 16 s a session (the servicing tests' mutants spent most of
    their time there). Built afresh per run, so it always matches the migrations; named for the run's process, so
    a second run started beside it (another module) does not replace it under the first one's sessions."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    template = SCRATCH / f"migrated-{os.getpid()}.sqlite3"
    template.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    return template


def _mutmut(
    module: str,
    cores: int,
    template: Path | None,
    log: Path | None,
    database_url: str | None,
    type_cache: Path | None,
    names: list[str] | None = None,
) -> bool:
    """One mutmut run of the module: on SQLite copies of ``template``, or (``template`` None) on the PostgreSQL
    ``database_url`` names, one worker (the sessions share its test database). ``log``: mutmut's output goes
    there, not to the terminal (modules run side by side would mix their progress lines). ``type_cache``: mypy
    checks the mutants first (``primed_type_cache``); ``names``: only these mutants are tried. False if mutmut
    failed."""
    workdir = _prepare(module, postgres=template is None, type_cache=type_cache)
    # Property tests run a capped budget per mutant (tests/hypothesis_budget.py); the suite runs them in full.
    env = {
        **os.environ,
        "PYTHONPATH": "",
        "LENDING_HYPOTHESIS_EXAMPLES": os.environ.get("LENDING_HYPOTHESIS_EXAMPLES", "50"),
        # Each mutant's session runs first the tests that killed the function's earlier mutants
        # (tests/mutation_order.py); the file starts empty with the run's scratch directory.
        "LENDING_MUTATION_KILLERS": str(workdir / "killers.tsv"),
    }
    if template is not None:
        env["LENDING_TEST_DB_TEMPLATE"] = str(template)
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = database_url or os.environ["DATABASE_URL"]
        cores = 1
    # mutmut's `run`, less its clean run of the tests the stats pass has just run (scripts/mutmut_run.py).
    mutmut = [sys.executable, str(ROOT / "scripts" / "mutmut_run.py"), "run", "--max-children", str(cores)]
    mutmut += names or []
    with open(log, "a") if log else contextlib.nullcontext() as output:
        completed = subprocess.run(mutmut, cwd=workdir, env=env, check=False, stdout=output, stderr=output)
    if completed.returncode != 0:
        # e.g. the clean test run failed: nothing was tried, so nothing counts as killed.
        where = log or "its output above"
        print(f"mutmut failed on {module} (exit {completed.returncode}); see {where}", file=sys.stderr)
    return completed.returncode == 0


def run_module(
    module: str,
    cores: int,
    template: Path | None,
    *,
    log: Path | None = None,
    database_url: str | None = None,
    type_cache: Path | None = None,
) -> Row:
    """The module's run: on SQLite (``template``), then, for a module of BOTH_DATABASES given a ``database_url``,
    on PostgreSQL too; or (``template`` None) on PostgreSQL only. Its row merges the runs' verdicts."""
    start = time.monotonic()
    if log:
        log.unlink(missing_ok=True)
    ok = True
    if module in POSTGRES_ONLY and database_url:
        template = None
    if template is not None:
        # A PostgreSQL half left by an earlier run must not merge into this one's verdicts.
        shutil.rmtree(_workdir(module, postgres=True), ignore_errors=True)
        ok = _mutmut(module, cores, template, log, None, type_cache)
    if template is None:
        _mutmut(module, cores, None, log, database_url, type_cache)
    elif ok and module in BOTH_DATABASES and database_url and (survivors := sqlite_survivors(module)):
        # Only the SQLite run's survivors can change the merged verdicts, and mypy has already passed them.
        _mutmut(module, cores, None, log, database_url, None, survivors)
    # A run that failed or was stopped still counts what it tried (its scratch directory starts empty, so every
    # verdict is this run's); a run that tried nothing scores 0 %.
    mutants, killed, not_run, typed = _count(merged_codes(module))
    return Row(module, mutants, killed, not_run, round(time.monotonic() - start), typed)


def sqlite_survivors(module: str) -> list[str]:
    """The mutants the module's SQLite run did not kill (or did not try): what its PostgreSQL half runs."""
    from mutmut.stats import status_by_exit_code

    codes = _codes(_workdir(module), module)
    return sorted(name for name, code in codes.items() if code is None or status_by_exit_code[code] not in KILLED)


def longest_first(modules: list[str]) -> list[str]:
    """The servicing services first (their tests build loans: seconds a mutant where a finance test takes
    milliseconds), each group by source size (about its mutant count), largest first: run side by side, the
    longest modules start first and the short ones fill the gaps, so no core idles at the end with one long module
    left."""
    return sorted(modules, key=lambda m: (m.startswith("lending/"), -(ROOT / m).stat().st_size))


def run_side_by_side(
    modules: list[str],
    cores: int,
    jobs: int,
    template: Path,
    database_url: str | None = None,
    type_cache: Path | None = None,
) -> list[Row]:
    """``jobs`` modules at a time, each with ``cores // jobs`` workers: a module's single-process phases (mutmut's
    coverage pass over its tests and its clean run) overlap another module's mutants instead of leaving a core
    idle. Each module's output goes to var/mutation/<module>.log; a row is printed as each one ends."""
    children = max(1, cores // jobs)
    rows: dict[str, Row] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(
                run_module,
                m,
                children,
                template,
                log=SCRATCH / f"{_slug(m)}.log",
                database_url=own_database(database_url, m),
                type_cache=type_cache,
            ): m
            for m in longest_first(modules)
        }
        for future in as_completed(futures):
            row = future.result()
            rows[row.module] = row
            print(f"{row.module:40} {row.mutants:7} mutants {row.score:6.1%}  {row.seconds} s", flush=True)
    return [rows[m] for m in modules]


def own_database(database_url: str | None, module: str) -> str | None:
    """The module's own database on the run's PostgreSQL server: two modules' runs side by side must not share the
    test database their sessions keep (``--reuse-db``). pytest-django makes ``test_<name>`` from it."""
    if database_url is None:
        return None
    return f"{database_url.rsplit('/', 1)[0]}/mutation_{_slug(module).replace('.', '_')}"


def report_module(module: str) -> Row:
    """The figures of the last (possibly interrupted) runs of the module, without running anything."""
    mutants, killed, not_run, typed = _count(merged_codes(module))
    return Row(module, mutants, killed, not_run, seconds=0, type_caught=typed)


def print_survivors(modules: list[str]) -> None:
    for module in modules:
        for name, verdict in survivors(module):
            print(f"{module}  {name}  {verdict}")


def print_table(rows: list[Row]) -> None:
    # "killed" counts the mutants mypy rejected ("by mypy", never run) with those the tests killed.
    print(
        f"\n{'module':40} {'mutants':>7} {'killed':>6} {'by mypy':>7} {'survived':>8} {'not run':>7} {'score':>6}"
        f"  target {TARGET:.0%}"
    )
    for row in rows:
        verdict = "ok" if row.score >= TARGET else "BELOW"
        if row.mutants == 0:
            verdict = "not measured (no run yet, or nothing to mutate)"
        print(
            f"{row.module:40} {row.mutants:7} {row.killed:6} {row.type_caught:7} {row.survived:8} {row.not_run:7}"
            f" {row.score:6.1%}  {verdict:5}  {row.seconds} s"
        )
    print(f"{'modules run time, added up':40} {sum(row.seconds for row in rows)} s")


@contextlib.contextmanager
def postgres_server(required: bool) -> Iterator[str | None]:
    """A throw-away PostgreSQL server for the run (scripts/testenv.py), or None when the machine has none and the
    run does not require one."""
    import testenv  # scripts/testenv.py, beside this script

    pg_bin = testenv.find_pg_bin()
    if pg_bin is None:
        if required:
            raise SystemExit("--postgres needs PostgreSQL's initdb and pg_ctl")
        print(f"no PostgreSQL here: {', '.join(sorted(BOTH_DATABASES))} are scored on SQLite alone", file=sys.stderr)
        yield None
        return
    with testenv.postgres(pg_bin) as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: every listed module)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--jobs", type=int, default=None, help="modules run side by side (default: as many as --cores, one worker each)"
    )
    parser.add_argument("--report", action="store_true", help="print the last runs' figures, run nothing")
    parser.add_argument(
        "--survivors", action="store_true", help="with --report: list each module's mutants not killed, with verdict"
    )
    parser.add_argument("--postgres", action="store_true", help="run on a throw-away PostgreSQL (one worker)")
    parser.add_argument(
        "--no-type-check", action="store_true", help="run every mutant against the tests (mypy rejects none first)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    unknown = [module for module in args.modules if module not in MODULES]
    if unknown:
        parser.error(f"not a listed money module: {', '.join(unknown)} (listed: {', '.join(MODULES)})")
    modules = args.modules or list(MODULES)
    if args.report:
        rows = [report_module(m) for m in modules]
        if args.survivors:
            print_survivors(modules)
    else:
        with contextlib.ExitStack() as stack:
            type_cache = None
            if not args.no_type_check:
                # Primed beside the template's migration (each about 15-20 s idle, mostly one core each).
                priming = stack.enter_context(ThreadPoolExecutor(max_workers=1)).submit(primed_type_cache, modules)
            if args.postgres:
                url = stack.enter_context(postgres_server(required=True))
                if not args.no_type_check:
                    type_cache = priming.result()
                    stack.callback(shutil.rmtree, type_cache, ignore_errors=True)
                rows = [
                    run_module(m, 1, None, database_url=own_database(url, m), type_cache=type_cache) for m in modules
                ]
            else:
                jobs = min(args.jobs or args.cores, len(modules))
                url = stack.enter_context(postgres_server(required=False)) if BOTH_DATABASES & set(modules) else None
                template = migrated_template()
                stack.callback(template.unlink, missing_ok=True)
                if not args.no_type_check:
                    type_cache = priming.result()
                    stack.callback(shutil.rmtree, type_cache, ignore_errors=True)
                if jobs > 1:
                    rows = run_side_by_side(modules, args.cores, jobs, template, url, type_cache)
                else:
                    rows = [
                        run_module(m, args.cores, template, database_url=own_database(url, m), type_cache=type_cache)
                        for m in modules
                    ]
    print_table(rows)
    if not args.report:
        print(f"{'whole run, wall time':40} {round(time.monotonic() - started)} s")
    return 0 if all(row.score >= TARGET for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
