"""Benchmarks and the fixture generator that fills a database for them (see docs/benchmarks.md).

Scripts here run as ``uv run python bench/<name>.py``; ``bench.generate.generate`` is importable
from tests and other benchmarks.
"""
