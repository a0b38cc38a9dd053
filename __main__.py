"""tap: deploys, per environment, an S3 data bucket whose EventBridge notifications feed a rule
that invokes the processor Lambda, which records each object's latest state in a DynamoDB table;
with dead-letter queues, alarms, a KMS key, least-privilege IAM and, in prod, a table replica."""

from tap.program import main

main()
