"""A published run announced: the vendor's SQS notice, and the run-completed event on the customer's
EventBridge bus so their own automation can react (source `idcensus`, detail-type
`idcensus.run.completed`, the notice as detail). Census runs (pipeline.close) and refresh runs
(stream/service.py) announce the same way."""

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


def announce(factory, sqs, settings, notice: dict[str, Any]) -> None:
    """The notice on the vendor queue and the event on the bus, where the settings name them. Called
    after the run is published and before it is marked done, so a crash in between sends them again
    (at least once, never zero times)."""
    if settings.vendor_queue_url:
        sqs.send_message(QueueUrl=settings.vendor_queue_url, MessageBody=json.dumps(notice))
    if settings.event_bus_name:
        put_run_event(factory.client("events"), settings.event_bus_name, notice)
