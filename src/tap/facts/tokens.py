"""Pulumi type tokens of the AWS resources and invokes the program uses."""

from __future__ import annotations

from typing import Final

AWS_PROVIDER: Final = "pulumi:providers:aws"
"""The explicit AWS provider resource, one per stack."""

BUCKET: Final = "aws:s3/bucket:Bucket"
BUCKET_OWNERSHIP_CONTROLS: Final = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
PUBLIC_ACCESS_BLOCK: Final = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_VERSIONING: Final = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_LIFECYCLE: Final = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_NOTIFICATION: Final = "aws:s3/bucketNotification:BucketNotification"

TABLE: Final = "aws:dynamodb/table:Table"
TABLE_REPLICA: Final = "aws:dynamodb/tableReplica:TableReplica"

QUEUE: Final = "aws:sqs/queue:Queue"
QUEUE_POLICY: Final = "aws:sqs/queuePolicy:QueuePolicy"

ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT: Final = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

FUNCTION: Final = "aws:lambda/function:Function"
LAMBDA_ALIAS: Final = "aws:lambda/alias:Alias"
PERMISSION: Final = "aws:lambda/permission:Permission"
INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"

EVENT_RULE: Final = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM: Final = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD: Final = "aws:cloudwatch/dashboard:Dashboard"

TOPIC: Final = "aws:sns/topic:Topic"
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_POLICY: Final = "aws:sns/topicPolicy:TopicPolicy"

KMS_KEY: Final = "aws:kms/key:Key"
KMS_REPLICA_KEY: Final = "aws:kms/replicaKey:ReplicaKey"
KMS_ALIAS: Final = "aws:kms/alias:Alias"
KMS_KEY_POLICY: Final = "aws:kms/keyPolicy:KeyPolicy"

GET_CALLER_IDENTITY: Final = "aws:index/getCallerIdentity:getCallerIdentity"
"""Invoke (data source) tokens: answered by the fake provider, never resources in a graph."""
GET_REGION: Final = "aws:index/getRegion:getRegion"
GET_PARTITION: Final = "aws:index/getPartition:getPartition"
