"""The per-account bootstrap: the deploy role's permissions and the permissions boundary."""
