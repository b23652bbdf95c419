"""Benchmarks: speed measured as medians and ratios, never asserted in the test suite."""
