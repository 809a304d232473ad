"""The bench's report helpers: the machine-speed calibration and the note that says a bench ran on a slowed
machine (bench/_report.py)."""

from __future__ import annotations

from bench._report import calibration_work, figure_context, speed_note, speed_summary


def test_the_calibration_amortizes_a_30_year_loan_every_time():
    # 360 months seen, and the $250,000.00 loan at 6.5 % paid by $1,580.17 a month leaves 38 cents.
    assert calibration_work() == calibration_work() == 360_000_038


def test_a_bench_as_fast_as_the_first_is_not_slow():
    assert speed_note(1000.0, 1000.0) == "machine speed 1,000 calibrations/s, 1.00 x the run's fastest so far"


def test_fifteen_percent_slower_is_still_counted():
    assert speed_note(850.0, 1000.0) == "machine speed 850 calibrations/s, 0.85 x the run's fastest so far"


def test_more_than_fifteen_percent_slower_is_flagged_slow():
    assert speed_note(849.0, 1000.0) == (
        "machine speed 849 calibrations/s, 0.85 x the run's fastest so far; SLOW: 15% slower than the run's fastest, "
        "its times are longer than the code alone would make them"
    )


def test_the_run_s_summary_gives_the_range_and_names_the_slow_benches():
    assert speed_summary({"bench_a": 1000.0, "bench_b": 3000.0, "bench_c": 2600.0}) == (
        "machine speed over the run: 1,000-3,000 calibrations/s (3.00 x); SLOW against the fastest: bench_a"
    )


def test_a_steady_run_s_summary_names_none():
    assert speed_summary({"bench_a": 2000.0, "bench_b": 1800.0}) == (
        "machine speed over the run: 1,800-2,000 calibrations/s (1.11 x)"
    )


def test_each_figure_says_the_load_and_the_machine_s_speed_when_it_was_printed():
    assert figure_context(1.04, 2641.6) == "load 1.0, machine 2,642 calibrations/s"
