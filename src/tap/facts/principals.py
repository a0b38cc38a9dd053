"""Service principals: the `Principal.Service` names AWS services act as in policies."""

from __future__ import annotations

from typing import Final

EVENTS_PRINCIPAL: Final = "events.amazonaws.com"
"""EventBridge: invokes targets and sends to their dead-letter queues."""
LAMBDA_PRINCIPAL: Final = "lambda.amazonaws.com"
"""Lambda: assumes a function's execution role."""
CLOUDWATCH_PRINCIPAL: Final = "cloudwatch.amazonaws.com"
"""CloudWatch alarms: publish to alarm topics."""
S3_PRINCIPAL: Final = "s3.amazonaws.com"
"""S3: the requester of its own lifecycle actions (expiry) in events and logs."""
BATCH_OPERATIONS_PRINCIPAL: Final = "batchoperations.s3.amazonaws.com"
"""S3 Batch Operations: assumes the role a job names (CreateJob's RoleArn)."""
DYNAMODB_REPLICATION_PRINCIPAL: Final = "replication.dynamodb.amazonaws.com"
"""DynamoDB global tables: the service-linked role that replicates to replica regions."""
