"""Day-2 operations on a deployed or a local stack: backfill, reconcile, redrive.

Every operation works from `StackResources` (the stack's names, read from its synthesized graph)
and an `OpsSession` (a boto3 session that has proven it is the stack's account). Neither the
resources nor the session are re-derived from strings anywhere else.
"""

from collections.abc import Callable

OpsProgress = Callable[[int, int | None], None]
"""(done, total or None while unknown): called as a long operation advances."""
