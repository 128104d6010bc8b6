"""The rule language: the tree, the knowledge beside it, their schemas and built form.

The bottom floor with `icd`: it imports nothing else of backcoder but `errors`.
"""
