"""Actions AWS authorises as the caller within another call, each with the page that says so."""

from __future__ import annotations

from typing import Final

from tap.facts.principals import DYNAMODB_REPLICATION_PRINCIPAL

REPLICA_ACTIONS: Final = (
    "dynamodb:CreateTable",
    "dynamodb:CreateTableReplica",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
"""What adding a replica (UpdateTable ReplicaUpdates Create) needs in the replica's region
(docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2gt_IAM.html)."""
REPLICATION_ROLE: Final = (
    f"role/aws-service-role/{DYNAMODB_REPLICATION_PRINCIPAL}/AWSServiceRoleForDynamoDBReplication"
)
"""The service-linked role DynamoDB creates with the account's first replica."""
TABLE_KEY_ACTIONS: Final = ("kms:DescribeKey", "kms:CreateGrant")
"""What DynamoDB checks as the caller when a table (or replica) is encrypted with a customer
managed key (DynamoDB's encryption-at-rest usage notes; not checked against a stored copy here,
so docs/deploy-role.md lists it as an assumption a real account confirms)."""
