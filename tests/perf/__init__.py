"""Benchmarks against the budgets of DESIGN.md: `make bench` (python -m tests.perf).

No tests here: pytest collects nothing from this package, and the bench never asserts.
"""
