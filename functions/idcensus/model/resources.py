"""Record types of the resources collectors; they join RECORD_TYPES through register()."""

from __future__ import annotations

from idcensus.model.records import register

register({})
