"""Metro 2 credit reporting: the monthly file of the servicing portfolio for the credit bureaus.

Pure Python (no Django import, ``tests/servicing/metro2/test_pure.py`` checks it): ``layout`` is the written
layout of the header, base segment and trailer (426-character fixed-length records, character format); ``records``
formats a record from its field values and checks a formatted line field by field against the layout;
``accounts`` turns one loan's facts as of a month end into its base segment (status code, payment history
profile, special comment, amounts, dates); ``file`` writes the whole file as a stream and keeps the trailer's
counts and the summary. ``servicing.selectors.metro2`` reads the loans' facts in chunks and feeds it.
"""
