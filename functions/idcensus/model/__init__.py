"""Record model v1: the envelope and the data of every record type. Pure, no boto3."""

from idcensus.model import billing, findings, governance, resources, sso  # noqa: F401 - each registers its record types
from idcensus.model.records import (
    RECORD_TYPES,
    SCHEMA_VERSION,
    content_hash,
    make_record,
)

__all__ = ["RECORD_TYPES", "SCHEMA_VERSION", "content_hash", "make_record"]
