"""Benchmarks for Whistle; run them as modules, e.g. `python -m bench.lifecycle`."""
