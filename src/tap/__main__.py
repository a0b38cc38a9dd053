"""`python -m tap` runs the CLI."""

from tap.entry import main

main()
