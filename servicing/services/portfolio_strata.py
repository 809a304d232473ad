"""Keeping the portfolio's kept strata (``PortfolioStratum``, migration 0050) small and exact.

The loans' triggers add a row per stratum a statement changed, never touching the rows there (concurrent payments
never wait on each other). ``portfolio_strata_compact`` merges each stratum's rows into one (nightly, with the
ledger's daily totals); ``portfolio_strata_rebuild`` recomputes them from the loans when ``ledger_verify`` reports a
difference. PostgreSQL only: on SQLite the report reads the loans and nothing is kept.
"""

from __future__ import annotations

from lending.core.kept import kept_compact, kept_rebuild

KEYS = "product_code, status, rate_band, vintage"
SUMS = "sum(loans), sum(balance), sum(rate_weight), sum(maturity_weight)"
COLUMNS = f"{KEYS}, loans, balance, rate_weight, maturity_weight"
NONZERO = "sum(loans) <> 0 OR sum(balance) <> 0 OR sum(rate_weight) <> 0 OR sum(maturity_weight) <> 0"

# As for the ledger's daily totals: the rows the DELETE returns (none committed meanwhile by a posting) go back as
# one row per stratum, or none when they cancel out (a stratum every loan left).
COMPACT = f"""
WITH merged AS (
    DELETE FROM servicing_portfoliostratum
     WHERE ({KEYS}) IN (SELECT {KEYS} FROM servicing_portfoliostratum GROUP BY 1, 2, 3, 4 HAVING count(*) > 1)
    RETURNING {COLUMNS}
), kept AS (
    INSERT INTO servicing_portfoliostratum ({COLUMNS})
    SELECT {KEYS}, {SUMS} FROM merged GROUP BY 1, 2, 3, 4 HAVING {NONZERO}
    RETURNING id
)
SELECT count(*) FROM merged
"""  # noqa: S608 -- constants only

# The strata of every loan, as the triggers compute a loan's (migration 0050).
REBUILD = f"""
INSERT INTO servicing_portfoliostratum ({COLUMNS})
SELECT product_code, status, greatest(2, least(10, floor(annual_rate)::integer)),
       date_part('year', first_payment_date)::integer, count(*), sum(principal_balance),
       sum(principal_balance * annual_rate),
       sum(principal_balance * (date_part('year', maturity_date)::integer * 12
                                + date_part('month', maturity_date)::integer))
  FROM servicing_loanaccount GROUP BY 1, 2, 3, 4
"""  # noqa: S608 -- constants only


def portfolio_strata_compact() -> int:
    """Merge each stratum's rows into one; returns the rows merged (0 when each has one). Idempotent, and never
    changes a stratum's sums."""
    return kept_compact(COMPACT)


def portfolio_strata_rebuild() -> int:
    """Recompute the strata from the loans (locked against writes meanwhile); returns the strata written."""
    return kept_rebuild(source="servicing_loanaccount", kept="servicing_portfoliostratum", insert_sql=REBUILD)
