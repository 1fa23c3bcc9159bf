"""Powertools logger, tracer and metrics, shared by every handler."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="idcensus")
tracer = Tracer(service="idcensus")
metrics = Metrics(namespace="idcensus", service="idcensus")
