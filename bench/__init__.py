"""Benchmarks, the scene renderer and installer tools behind `footfall-bench` (not part of the test run)."""
