"""Account ids AWS's documentation uses in its examples: no team deploys into them."""

from __future__ import annotations

from typing import Final

DOCUMENTATION_ACCOUNT_IDS: Final = frozenset(
    {
        # AWS Account Management Reference Guide, "View AWS account identifiers"
        # (manage-acct-identifiers.html): "A 12-digit number, such as 012345678901".
        "012345678901",
        # IAM User Guide, "IAM identifiers" and the ARN examples throughout AWS's guides.
        "123456789012",
        # AWS KMS Developer Guide ("Specifying KMS keys in IAM policy statements",
        # cmks-in-iam-policies.html) and IAM's cross-account examples: the account, and the
        # other accounts of its examples.
        "111122223333",
        "444455556666",
        "777788889999",
    }
)
"""Account ids from AWS's documentation examples; a stack file holding one was not written for
a real account (the shipped examples hold three of them)."""
