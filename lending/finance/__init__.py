"""Pure-Python money math for Lending.

No Django, no floats, no global decimal context: every function takes Decimals and dates
and returns Decimals and small frozen dataclasses. A test enforces the no-Django rule.
"""
