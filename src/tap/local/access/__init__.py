"""Least privilege, proven: record every AWS call, judge it against the role's policies."""
