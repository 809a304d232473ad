# ruff: noqa: S608 -- the SQL is assembled from this module's constant fragments; every value is a bound parameter
"""The set-based statements of the servicing bench seeder (bench/_servicing_seed.py): one ``INSERT ... SELECT``
per table and round of loans, over ``generate_series`` and the templates' temporary tables.

Loan k of the round (k = lo..hi, 0-based within this call) is loan number n0 + k, template k % ntpl, and owns ids:
user/loan base + k; installments inst_base + k*term + (number - 1); entries je_base + k*(months+2) + j (j = 0
disbursement, 1 escrow deposit, 1 + p the p-th payment); transactions txn_base + k*months + (p - 1); allocation
lines al_base + (k*months + p - 1)*3 + b; journal lines numbered round by round (``_JL``). A line of zero is not
written (none is, in these templates): its id is left unused.

Row order: each loan's template rows come from a ``LATERAL`` index scan of ``bench_tpl_row`` in ``number`` order,
nested inside ``generate_series`` (k ascending), so the rows arrive in (k, number) order - the order of their ids -
without an ``ORDER BY``: sorting 3.6M rows a round spilled to disk and was most of the generating work. (For the
installments, all 360 rows of a template, the planner takes a bitmap scan and sorts each loan's 360 rows in memory
instead; an index scan forced in its place measured the same, session 21.)

Why not ``COPY``: the rows are made in the server, and ``COPY`` would have to carry them out and back in as text.
Measured for 720,000 installments (2,000 loans, bench cluster, load 10): ``INSERT ... SELECT`` 0.91 s of server
CPU; ``COPY (SELECT ...) TO STDOUT`` piped into ``COPY ... FROM STDIN`` 1.63 s of server CPU plus 1.05 s of
client CPU (generating the rows alone costs 0.16 s: the insert is the work). ``COPY`` loads only the templates
(bench/_seed_templates.py), the rows made in Python.
"""

from __future__ import annotations

_K = "generate_series(%(lo)s::bigint, %(hi)s::bigint) AS k"
_TPL = "JOIN bench_tpl t ON t.id = k %% %(ntpl)s"
_ROWS = "CROSS JOIN LATERAL (SELECT * FROM bench_tpl_row WHERE tpl = k %% %(ntpl)s{paid} ORDER BY number) r"
_ALL = _ROWS.format(paid="")
_PAID = _ROWS.format(paid=" AND number <= %(months)s")
_FIRST = "JOIN bench_tpl_row r1 ON r1.tpl = k %% %(ntpl)s AND r1.number = 1"
_JE = "%(je_base)s + k * (%(months)s + 2)"
# Journal and allocation lines per loan and per payment. Their ids are computed from ids reserved like the others'
# (not drawn by nextval() row by row: 42.5M calls at 100,000 loans, a microsecond each): each round writes its loans'
# opening lines, then their payments' lines, in id order, as the sequence would have numbered them.
OPENING_LINES, PAYMENT_LINES, ALLOCATION_LINES = 5, 4, 3
_JL = f"%(jl_base)s::bigint + %(lo)s::bigint * ({OPENING_LINES} + {PAYMENT_LINES} * %(months)s)"
# A zero of the columns' own type: a CASE whose branches share numeric(14,2) needs no rounding to the column's scale
# per row (a bare 0 makes the CASE plain numeric, which the INSERT then coerces row by row).
_ZERO = "0::numeric(14,2)"

# (phase, table, statement): the phases in the order the one-transaction load runs them.
STATEMENTS = (
    (
        "users",
        "core_user",
        f"""
        INSERT INTO core_user (id, password, is_superuser, email, first_name, last_name, phone, is_staff,
                               is_active, date_joined)
        SELECT %(user_base)s + k, '!', false, lower(%(prefix)s) || '-' || (%(n0)s + k) || '@borrowers.example.com',
               'Pat', 'Borrower ' || %(prefix)s || (%(n0)s + k), '', false, true, %(now)s
          FROM {_K}
        """,
    ),
    (
        "users",
        "core_user_groups",
        f"INSERT INTO core_user_groups (user_id, group_id) SELECT %(user_base)s + k, %(group)s FROM {_K}",
    ),
    (
        "loans",
        "servicing_loanaccount",
        f"""
        INSERT INTO servicing_loanaccount (
            id, loan_number, borrower_id, borrower_name, product_code, product_name, status, principal,
            annual_rate, term_periods, payment_frequency, amortization, interest_only_periods, day_count,
            odd_first_period, disbursement_date, first_payment_date, maturity_date, regular_payment,
            late_fee_percent, late_fee_flat, grace_days, allocation_strategy, escrow_monthly_payment,
            escrow_initial_deposit, escrow_cushion, principal_balance, interest_due, fees_due, escrow_balance,
            suspense_balance, interest_paid_through, interest_accrued_through, next_due_date, version, boarded_at,
            updated_at, escrow_analysis_date)
        SELECT %(loan_base)s + k, %(prefix)s || '-' || lpad((%(n0)s + k)::text, 7, '0'), %(user_base)s + k,
               'Pat Borrower ' || %(prefix)s || (%(n0)s + k), 'bench-30y', 'Bench 30-year fixed', 'active',
               t.principal, t.rate, %(term)s, 'monthly', 'level', 0, '30/360', 'per_diem',
               (r1.due_date - interval '1 month')::date, r1.due_date, t.maturity, t.regular_payment,
               5, 0, 15, 'mortgage_standard', t.escrow_monthly, t.deposit, t.deposit,
               t.principal - t.principal_paid, 0, 0, t.deposit + t.escrow_paid, 0, t.paid_through, t.paid_through,
               t.next_due,
               3 + %(months)s, %(now)s, %(now)s,
               (t.next_due + (k %% 12) * interval '1 month')::date - 30
          FROM {_K} {_TPL} JOIN bench_tpl_row r1 ON r1.tpl = t.id AND r1.number = 1
        """,
    ),
    (
        "installments",
        "servicing_installment",
        f"""
        INSERT INTO servicing_installment (id, loan_id, number, due_date, principal, interest, escrow, payment,
                                           paid_principal, paid_interest, paid_escrow, paid_on)
        SELECT %(inst_base)s + k * %(term)s + r.number - 1, %(loan_base)s + k, r.number, r.due_date, r.principal,
               r.interest, r.escrow, r.payment,
               CASE WHEN paid THEN r.principal ELSE {_ZERO} END, CASE WHEN paid THEN r.interest ELSE {_ZERO} END,
               CASE WHEN paid THEN r.escrow ELSE {_ZERO} END, CASE WHEN paid THEN r.due_date END
          FROM {_K} {_ALL}, LATERAL (SELECT r.number <= %(months)s AS paid) p
        """,
    ),
    (
        "escrow items",
        "servicing_escrowitem",
        f"""
        INSERT INTO servicing_escrowitem (loan_id, kind, description, payee, annual_amount, payments_per_year,
                                          next_due_date)
        SELECT %(loan_base)s + k, kind, description, payee, amount, per_year, t.next_due
          FROM {_K} {_TPL},
               LATERAL (VALUES ('property_tax', 'Property tax', 'County treasurer', t.tax, 2),
                               ('hazard_insurance', 'Homeowner''s insurance premium', 'Bench Mutual', t.insurance, 1)
                       ) AS item(kind, description, payee, amount, per_year)
        """,
    ),
    (
        "journal entries",
        "servicing_journalentry",
        f"""
        INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo)
        SELECT {_JE}, %(loan_base)s + k, (r1.due_date - interval '1 month')::date, %(now)s, 'disbursement',
               'Disbursement of ' || %(prefix)s || '-' || lpad((%(n0)s + k)::text, 7, '0')
          FROM {_K} {_FIRST}
        UNION ALL
        SELECT {_JE} + 1, %(loan_base)s + k, (r1.due_date - interval '1 month')::date, %(now)s, 'escrow_deposit',
               'Initial escrow deposit, collected at closing'
          FROM {_K} {_FIRST}
        """,
    ),
    (
        "journal entries",
        "servicing_journalentry",
        f"""
        INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo)
        SELECT {_JE} + 1 + r.number, %(loan_base)s + k, r.due_date, r.due_date + time '12:00', 'payment',
               'Payment ACH ' || %(prefix)s || (%(n0)s + k) || '-' || r.number || ' (ach)'
          FROM {_K} {_PAID}
        """,
    ),
    (
        "journal lines",
        "servicing_journalline",
        f"""
        INSERT INTO servicing_journalline (id, entry_id, account_id, loan_id, debit, credit)
        SELECT {_JL} + (k - %(lo)s) * {OPENING_LINES} + line.n, {_JE} + line.j, line.account, %(loan_base)s + k,
               line.debit, line.credit
          FROM {_K} {_TPL},
               LATERAL (VALUES (0, 0, %(acct_loans_receivable)s, t.principal, 0::numeric),
                               (1, 0, %(acct_cash)s, 0, t.principal - t.fee),
                               (2, 0, %(acct_fee_income)s, 0, t.fee),
                               (3, 1, %(acct_cash)s, t.deposit, 0),
                               (4, 1, %(acct_escrow_liability)s, 0, t.deposit)
                       ) AS line(n, j, account, debit, credit)
         WHERE line.debit > 0 OR line.credit > 0
        """,
    ),
    (
        "journal lines",
        "servicing_journalline",
        f"""
        INSERT INTO servicing_journalline (id, entry_id, account_id, loan_id, debit, credit)
        SELECT {_JL} + (%(hi)s - %(lo)s + 1) * {OPENING_LINES}
                   + ((k - %(lo)s) * %(months)s + r.number - 1) * {PAYMENT_LINES} + line.n,
               {_JE} + 1 + r.number, line.account, %(loan_base)s + k, line.debit, line.credit
          FROM {_K} {_PAID},
               LATERAL (VALUES (0, %(acct_cash)s, r.payment, 0::numeric),
                               (1, %(acct_interest_income)s, 0, r.interest),
                               (2, %(acct_loans_receivable)s, 0, r.principal),
                               (3, %(acct_escrow_liability)s, 0, r.escrow)
                       ) AS line(n, account, debit, credit)
         WHERE line.debit > 0 OR line.credit > 0
        """,
    ),
    (
        "payments",
        "servicing_loantransaction",
        f"""
        INSERT INTO servicing_loantransaction (id, loan_id, kind, amount, effective_date, method, reference,
                                               idempotency_key, directive, status, journal_entry_id, note,
                                               posted_at)
        SELECT %(txn_base)s + k * %(months)s + r.number - 1, %(loan_base)s + k, 'payment', r.payment, r.due_date,
               'ach', 'ACH ' || %(prefix)s || (%(n0)s + k) || '-' || r.number,
               'bench:' || %(prefix)s || (%(n0)s + k) || ':' || r.number, 'standard', 'posted',
               {_JE} + 1 + r.number, '', r.due_date + time '12:00'
          FROM {_K} {_PAID}
        """,
    ),
    (
        "allocation lines",
        "servicing_allocationline",
        f"""
        INSERT INTO servicing_allocationline (id, transaction_id, installment_id, bucket, amount)
        SELECT %(al_base)s + (k * %(months)s + r.number - 1) * {ALLOCATION_LINES} + line.n,
               %(txn_base)s + k * %(months)s + r.number - 1, %(inst_base)s + k * %(term)s + r.number - 1,
               line.bucket, line.amount
          FROM {_K} {_PAID},
               LATERAL (VALUES (0, 'interest', r.interest), (1, 'principal', r.principal), (2, 'escrow', r.escrow)
                       ) AS line(n, bucket, amount)
         WHERE line.amount > 0
        """,
    ),
)

# The loans' balance totals (LoanBalanceTotal, migration 0049) of loans lo..hi, which the same replica role kept the
# loans' triggers from adding: one row, their sums, as the triggers would have added statement by statement.
LOAN_TOTALS = """
INSERT INTO servicing_loanbalancetotal (principal_balance, interest_due, fees_due, escrow_balance,
                                        suspense_balance, interest_prepaid)
SELECT coalesce(sum(principal_balance), 0), coalesce(sum(interest_due), 0), coalesce(sum(fees_due), 0),
       coalesce(sum(escrow_balance), 0), coalesce(sum(suspense_balance), 0), coalesce(sum(interest_prepaid), 0)
  FROM servicing_loanaccount WHERE id BETWEEN %(loan_base)s + %(lo)s AND %(loan_base)s + %(hi)s
"""

# The portfolio strata (PortfolioStratum, migration 0050) of loans lo..hi, skipped by the loans' triggers likewise.
STRATA = """
INSERT INTO servicing_portfoliostratum (product_code, status, rate_band, vintage, loans, balance, rate_weight,
                                        maturity_weight)
SELECT product_code, status, greatest(2, least(10, floor(annual_rate)::integer)),
       date_part('year', first_payment_date)::integer, count(*), sum(principal_balance),
       sum(principal_balance * annual_rate),
       sum(principal_balance * (date_part('year', maturity_date)::integer * 12
                                + date_part('month', maturity_date)::integer))
  FROM servicing_loanaccount WHERE id BETWEEN %(loan_base)s + %(lo)s AND %(loan_base)s + %(hi)s
 GROUP BY 1, 2, 3, 4
"""

# The ledger's per-account daily totals of the lines above, for loans lo..hi, from the templates: each template's
# lines times the loans that share it (k %% ntpl). The fast load writes them instead of summing its millions of
# lines again (``session_replication_role = replica`` skips the journal lines' trigger that would add them): one
# row per (account, day), what ``ledger_daily_rebuild`` would add for these lines.
DAILY_TOTALS = """
INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
SELECT line.account, line.day, sum(c.loans * line.debit), sum(c.loans * line.credit), sum(c.loans)
  FROM (SELECT k %% %(ntpl)s AS tpl, count(*) AS loans
          FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS k GROUP BY 1) c
  JOIN bench_tpl t ON t.id = c.tpl
  JOIN bench_tpl_row r1 ON r1.tpl = t.id AND r1.number = 1
  CROSS JOIN LATERAL (
      SELECT v.account, v.debit, v.credit, (r1.due_date - interval '1 month')::date
        FROM (VALUES (%(acct_loans_receivable)s, t.principal, 0::numeric),
                     (%(acct_cash)s, 0, t.principal - t.fee),
                     (%(acct_fee_income)s, 0, t.fee),
                     (%(acct_cash)s, t.deposit, 0),
                     (%(acct_escrow_liability)s, 0, t.deposit)) AS v(account, debit, credit)
      UNION ALL
      SELECT v.account, v.debit, v.credit, r.due_date
        FROM bench_tpl_row r,
             LATERAL (VALUES (%(acct_cash)s, r.payment, 0::numeric),
                             (%(acct_interest_income)s, 0, r.interest),
                             (%(acct_loans_receivable)s, 0, r.principal),
                             (%(acct_escrow_liability)s, 0, r.escrow)) AS v(account, debit, credit)
       WHERE r.tpl = t.id AND r.number <= %(months)s
  ) AS line(account, debit, credit, day)
 WHERE line.debit > 0 OR line.credit > 0
 GROUP BY line.account, line.day
"""

# The month-end tape (servicing.services.month_end) of months already closed, as the nightly close of each month's
# last business day would have written it from the delinquency history seeded by then: per month (its first day,
# close and the close before) one row per active loan boarded by the close, its bucket the latest history row
# by the close (``current`` without one; days past due counted on from that row, as ``standing_then`` does), the
# month before's the same at the previous close (``new`` when boarded after it). The principal is the loan's
# running balance (no page reads a past month's principal from these rows; the journal would cost a pass over it).
MONTH_END_TAPE = """
INSERT INTO servicing_loanmonthend (month, as_of, loan_id, product_code, bucket, days_past_due, principal_balance,
    bucket_before, principal_before)
WITH months AS (
    SELECT * FROM unnest(%(firsts)s::date[], %(closes)s::date[], %(befores)s::date[])
        AS m(month, closing, closing_before)
),
closings AS (SELECT closing FROM months UNION SELECT closing_before FROM months),
at_close AS (
    SELECT DISTINCT ON (h.loan_id, c.closing) h.loan_id, c.closing, h.bucket_to, h.days_past_due, h.as_of
    FROM servicing_delinquencyhistory h JOIN closings c ON h.as_of <= c.closing
    ORDER BY h.loan_id, c.closing, h.as_of DESC, h.id DESC
)
SELECT m.month, m.closing, l.id, l.product_code, COALESCE(held_then.bucket_to, 'current'),
    CASE WHEN COALESCE(held_then.bucket_to, 'current') = 'current' THEN 0
        ELSE held_then.days_past_due + (m.closing - held_then.as_of) END,
    l.principal_balance,
    CASE WHEN l.disbursement_date > m.closing_before THEN 'new' ELSE COALESCE(held_before.bucket_to, 'current') END,
    CASE WHEN l.disbursement_date > m.closing_before THEN 0 ELSE l.principal_balance END
FROM servicing_loanaccount l CROSS JOIN months m
LEFT JOIN at_close held_then ON held_then.loan_id = l.id AND held_then.closing = m.closing
LEFT JOIN at_close held_before ON held_before.loan_id = l.id AND held_before.closing = m.closing_before
WHERE l.status = 'active' AND l.disbursement_date <= m.closing
"""
# The tape counted as ``month_end_count_add`` counts it as it writes.
MONTH_END_COUNTS = """
INSERT INTO servicing_loanmonthendcount (month, product_code, bucket_before, bucket, loans, principal_before,
    principal_balance)
SELECT month, product_code, bucket_before, bucket, COUNT(*), SUM(principal_before), SUM(principal_balance)
FROM servicing_loanmonthend WHERE month = ANY(%(firsts)s::date[]) GROUP BY 1, 2, 3, 4
"""
