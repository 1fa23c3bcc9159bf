"""Importing this package declares every rule (registry.RULES), in the order of the README table."""

from idcensus.findings.rules import access, credentials, directory, password, root, trust  # noqa: F401
