"""Coding records: the typed result, its advice (queries, checklist, more specific codes),
reporting order, and the code book behind explain, compare and template."""
