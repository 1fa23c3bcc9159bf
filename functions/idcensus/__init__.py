"""idcensus: an identity census for AWS Organizations."""

__version__ = "0.1.0"
