"""Adapters that keep the census: DynamoDB current state and S3 snapshot exports."""
