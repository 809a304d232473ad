"""How many examples a Hypothesis property test runs.

The suite runs each property test with its full budget. A mutation run (`make mutation`) runs the tests of a module
once per mutant, so it caps every budget with ``LENDING_HYPOTHESIS_EXAMPLES`` (set by scripts/mutation.py): a
surviving mutant then costs seconds, not minutes. The example-based tests, which pin exact cents, do the killing;
the property tests keep their fixed seed, so a run is repeatable.
"""

import os


def examples(budget: int, *, mutation: int | None = None) -> int:
    """``budget``, or the mutation run's cap when it is lower. ``mutation``: a lower cap for this test in a mutation
    run, for a property test whose examples each build loans and post payments (seconds a mutant) and which kills
    no mutant the example tests leave alive."""
    cap = os.environ.get("LENDING_HYPOTHESIS_EXAMPLES")
    if not cap:
        return budget
    return min(budget, int(cap), mutation if mutation is not None else budget)
