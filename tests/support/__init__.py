"""Helpers shared by the tests, importable as `tests.support.*` (the checkout root is on the path).

paths: the checkout and its stacks; shipped: the shipped stacks' graphs and ways to break a copy;
judge: a rule's outcomes; breaks: one mutation per rule that makes it fail; mutations: config
edits and what the CLI and the program say about them; local: helpers for `tap local` runs;
bounds: how long a test waits before it fails; work: tap's work counted, for scaling tests.
"""
