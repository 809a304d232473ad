"""The ACH processor adapter (interface, deterministic sandbox, NACHA-file processor) and the NACHA file writer."""
