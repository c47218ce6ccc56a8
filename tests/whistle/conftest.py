"""Fixtures for these tests come from tests/conftest.py (one Prefect harness per run)."""
