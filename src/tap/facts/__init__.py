"""AWS facts, each spelled once: type tokens, service principals, ARNs and graph markers.

The bottom layer: it imports nothing else from tap, so every layer above may key its tables
by these names (tests/facts/test_registries.py checks that those tables cover the program).
"""
