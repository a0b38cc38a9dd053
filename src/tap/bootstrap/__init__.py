"""`tap bootstrap`: what an account administrator deploys once per account.

Pulumi cannot create the role it assumes, so the deploy role, its trust, its permissions
(`permissions`), the permissions boundary and (optionally) the state backend come from this
template, not from the program.
"""
