"""The run-completed event on the customer's EventBridge bus (beside the vendor's SQS notice), so the
customer's own automation can react: source `idcensus`, detail-type `idcensus.run.completed`, the
notice as detail."""

from __future__ import annotations

import json
from typing import Any

from idcensus.errors import IdcensusError

SOURCE = "idcensus"
RUN_COMPLETED = "idcensus.run.completed"


class EventNotPut(IdcensusError):
    """EventBridge refused the entry; raised so the close is retried (the event may come twice, never zero times)."""


def put_run_event(events, bus: str, notice: dict[str, Any]) -> None:
    answer = events.put_events(Entries=[{"Source": SOURCE, "DetailType": RUN_COMPLETED, "Detail": json.dumps(notice),
                                         "EventBusName": bus}])
    if answer.get("FailedEntryCount"):
        entry = answer["Entries"][0]
        raise EventNotPut(f"EventBridge refused the run event on bus {bus}: {entry.get('ErrorCode')} "
                          f"{entry.get('ErrorMessage')}")
