"""``mutmut run`` as ``make mutation`` runs it (scripts/mutation.py): mutmut 3.8's own command, less its clean run.

Before its first mutant mutmut runs a module's tests three times in its own process: the stats pass (every test, on
the unmutated code, recording which functions each reaches), the clean run (the same tests again, on the same code)
and the forced-fail run (stops at the first test). The stats pass already stops the whole run when a test fails
("failed to collect stats"), so the clean run can only repeat its answer: skipping it saves one pass of the module's
tests (9 of ``servicing/services/replay.py``'s 78 s, 40 s of ``payments.py``'s). Every mutant is run as before.

    python scripts/mutmut_run.py run --max-children 2     # from a module's scratch directory
"""

import os
import sys
from collections.abc import Iterable

import mutmut.__main__ as mutmut_cli  # imported as a module, not run: mutmut's guard against a re-run (GH-466)
from mutmut.workers import isolation

RUNNERS = (isolation.ForkRunner, isolation.ForkServerRunner)


def clean_run_skipped(self: isolation.MutantRunner, tests: Iterable[str]) -> int:
    """The clean run's exit status: 0, because the stats pass has just passed the same tests on the same code."""
    return 0


def skip_clean_runs() -> None:
    for runner in RUNNERS:
        runner.run_clean_tests = clean_run_skipped  # type: ignore[method-assign]


def main() -> None:
    skip_clean_runs()
    # What `python -m mutmut` has first on sys.path: the working directory (mutmut takes it off again, so the
    # tests import the mutated copy), not this script's directory.
    sys.path[0] = os.getcwd()
    mutmut_cli.cli()


if __name__ == "__main__":
    main()
