"""A fake OpenTelemetry collector: OTLP/HTTP traces in protobuf, as the spec defines.

`POST /v1/traces` takes an ExportTraceServiceRequest; the spans it carried are
kept in `spans`, flattened to plain values so tests can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from fakes.server import LoopbackServer, RecordedRequest, Response


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    service: str
    error: bool
    start_ns: int
    end_ns: int


class FakeCollector(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.spans: list[ReceivedSpan] = []

    def handle(self, request: RecordedRequest) -> Response:
        if (request.method, request.path) != ("POST", "/v1/traces"):
            return Response(404, b"not found", "text/plain")
        export = ExportTraceServiceRequest.FromString(request.body)
        for resource_spans in export.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                            service=str(resource.get("service.name")),
                            error=span.status.code == span.status.STATUS_CODE_ERROR,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                        )
                    )
        body = ExportTraceServiceResponse().SerializeToString()
        return Response(200, body, "application/x-protobuf")

    def named(self, name: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.name == name]


def _attributes(pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        value = pair.value
        kind = value.WhichOneof("value")
        out[pair.key] = getattr(value, kind) if kind else None
    return out
