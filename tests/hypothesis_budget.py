"""How many examples a Hypothesis property test runs.

The suite runs each property test with its full budget. A mutation run (`make mutation`) runs the tests of a module
once per mutant, so it caps every budget with ``LENDING_HYPOTHESIS_EXAMPLES`` (set by scripts/mutation.py): a
surviving mutant then costs seconds, not minutes. The example-based tests, which pin exact cents, do the killing;
the property tests keep their fixed seed, so a run is repeatable.
"""

import os


def examples(budget: int) -> int:
    """``budget``, or the mutation run's cap when it is lower."""
    cap = os.environ.get("LENDING_HYPOTHESIS_EXAMPLES")
    return min(budget, int(cap)) if cap else budget
