"""Every use of a dependency's private API, each behind one function: the one adapter.

One module per dependency: `pulumi` (the SDK's runtime), `pulumi_mocks` (the mock monitor tap's
recording monitor extends), `pulumi_policy` (CrossGuard's proxies), `moto` (the emulator's
patches, and jsonpath_ng's parser as moto calls it) and `pyyaml` (libyaml's parser). Each
module's `SURFACES` names the internals it reaches; tests/test_internals.py has one guard per
surface, so a dependency upgrade that breaks one fails exactly one guard, which names it; the
same file fails on a private name, or an implementation module, of pulumi, pulumi-policy, moto,
PyYAML or jsonpath_ng reached anywhere else in src/ or policy/. The pins in pyproject.toml
cover the versions the guards ran against. pulumi-policy and moto are not in the base install:
their modules import them on use, and this package imports none of its modules.
"""
