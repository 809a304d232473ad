"""The HMDA Loan/Application Register (Regulation C, 12 CFR 1003) as the FFIEC filing instructions' pipe-delimited
file: ``spec`` (the field order and code sets), ``lar`` (an application's row), ``edits`` (the syntactical and
validity edits the export runs before it lets the file out)."""
