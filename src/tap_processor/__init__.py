"""The processor Lambda runtime: records each S3 object's latest state in DynamoDB."""
