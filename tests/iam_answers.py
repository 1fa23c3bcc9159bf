"""Recorded IAM answers (JSON, as the AWS CLI and the tools that recorded them print them) served as
IAM's own XML through a botocore before-send hook, so botocore's real parser turns them into what the
collectors read. The XML is written from the operation's output shape (query protocol: lists as
<member>, maps as <entry><key/><value/>). Test code only."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote
from xml.sax.saxutils import escape

from idcensus_emulator.gaps import IAM_NS, answer
from tests.faults import query_error

Answer = Callable[[dict[str, str]], dict[str, Any] | None]  # request params -> recorded answer; None: denied


def to_xml(shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return "".join(f"<{m.serialization.get('name', name)}>{to_xml(m, value[name])}</{m.serialization.get('name', name)}>"
                       for name, m in shape.members.items() if value.get(name) is not None)
    if kind == "list":
        return "".join(f"<member>{to_xml(shape.member, v)}</member>" for v in value)
    if kind == "map":
        return "".join(f"<entry><key>{escape(str(k))}</key><value>{to_xml(shape.value, v)}</value></entry>"
                       for k, v in value.items())
    if kind == "boolean":
        return "true" if value in (True, "true", "True") else "false"
    if kind == "timestamp":
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        return escape(text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text)
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if isinstance(value, dict | list):  # a decoded policy document: AWS sends it URL-encoded JSON
        value = quote(json.dumps(value))
    return escape(str(value))


def hook(client_model, answers: dict[str, Answer]):
    """A before-send handler answering every IAM operation in `answers`; any other is a test error."""

    def handler(request, **_):
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        params = {k: v[0] for k, v in parse_qs(body).items()}
        op = params.pop("Action")
        if op not in answers:
            raise AssertionError(f"no recorded answer for iam:{op}")
        model = client_model.operation_model(op)
        found = answers[op](params)
        if found is None:
            return query_error(request, "AccessDenied", 403, f"not authorized to perform: iam:{op}")
        inner = to_xml(model.output_shape, found) if model.output_shape else ""
        xml = (f'<{op}Response xmlns="{IAM_NS}"><{op}Result>{inner}</{op}Result>'
               f"<ResponseMetadata><RequestId>recorded</RequestId></ResponseMetadata></{op}Response>")
        return answer(request, 200, xml.encode())

    return ("before-send.iam", handler)


def cli_output(path) -> dict[str, Any]:
    """The JSON after `Output::` in an AWS CLI example (.rst)."""
    text = path.read_text()
    rest = text[text.index("Output::") + len("Output::"):].lstrip()
    return json.JSONDecoder().raw_decode(rest)[0]
