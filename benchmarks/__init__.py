"""tap's benchmarks: `python benchmarks/run.py` writes results.md and results.json."""
