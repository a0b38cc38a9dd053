"""How long a test waits for another thread or process before it fails."""

WAIT = 300.0
"""A bound on waiting for a thread, a process or a run to reach a point, so a broken
implementation fails instead of hanging; never a measure of speed (a loaded machine is slower,
and a test that passes never waits this long)."""
