"""OpenTelemetry: one tracer provider per process, trace context carried in envelopes.

FastAPI, PyMongo and FastStream (``RabbitTelemetryMiddleware``) are instrumented;
PyMongo must be instrumented before any client is created. An OTLP exporter is
used when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and the exporter is installed.

With no exporter, spans are not recorded (parent-based always-off, unless
``OTEL_TRACES_SAMPLER`` says otherwise) and nothing is instrumented: trace ids
still flow through envelopes, message headers, HTTP headers and logs
(``carried``, ``CarriedTrace``), but nobody pays for spans nobody collects. The
bench measured PyMongo's command listener alone at 3.6 % of routing's samples,
the FastAPI instrumentation at ~240 µs per request and FastStream's at ~50 µs per
consumed message (#20, docs/benchmarks.md).

A recorded request span holds its route's template where the path was
(``template_paths``): a traveller's link token is never exported.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

_propagator = TraceContextTextMapPropagator()
_ids = RandomIdGenerator()
_provider: TracerProvider | None = None
UNREAD = ParentBased(ALWAYS_OFF)
"""The sampler of a process whose spans nobody collects."""


def setup_tracing(service: str, *, console: bool = False) -> TracerProvider:
    """Create the process's tracer provider once and instrument PyMongo."""
    global _provider
    if _provider is not None:
        return _provider
    exporters = _exporters(console)
    unread = not exporters and "OTEL_TRACES_SAMPLER" not in os.environ
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"tripcare-{service}"}),
        sampler=UNREAD if unread else None,
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if not unread:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        PymongoInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def records_spans(provider: TracerProvider) -> bool:
    """Whether the provider's spans reach anyone; if not, the instrumentations are left out
    and ``carried`` keeps the trace ids going."""
    return provider.sampler is not UNREAD


def _exporters(console: bool) -> list[SpanExporter]:
    exporters: list[SpanExporter] = [ConsoleSpanExporter()] if console else []
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        try:
            module = importlib.import_module(
                "opentelemetry.exporter.otlp.proto.http.trace_exporter"
            )
        except ImportError:
            return exporters
        exporters.append(module.OTLPSpanExporter())
    return exporters


def current_trace_context() -> tuple[str | None, str | None]:
    """The W3C ``traceparent``/``tracestate`` of the current span, for an envelope."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent"), carrier.get("tracestate")


def trace_headers(traceparent: str | None, tracestate: str | None) -> dict[str, str]:
    """The W3C trace headers (HTTP or AMQP) for a trace context; empty values left out."""
    found = {"traceparent": traceparent, "tracestate": tracestate}
    return {name: value for name, value in found.items() if value}


def context_from(traceparent: str | None, tracestate: str | None) -> Context:
    return _propagator.extract(trace_headers(traceparent, tracestate))


def attach(ctx: Context) -> Any:
    return context.attach(ctx)


def detach(token: Any) -> None:
    context.detach(token)


def trace_ids() -> tuple[str, str] | None:
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return None
    return format(span.trace_id, "032x"), format(span.span_id, "016x")


def carried(traceparent: object, tracestate: object = None) -> Context:
    """A context in the trace a message or request names, as a new span of it, or in a new
    trace when it names none (or a malformed one, or a header that is not text): what the
    instrumentations would give, without recording anything."""
    named = context_from(*(v if isinstance(v, str) else None for v in (traceparent, tracestate)))
    parent = trace.get_current_span(named).get_span_context()
    if parent.is_valid:
        span = SpanContext(
            parent.trace_id,
            _ids.generate_span_id(),
            is_remote=False,
            trace_flags=parent.trace_flags,
            trace_state=parent.trace_state,
        )
    else:
        span = SpanContext(_ids.generate_trace_id(), _ids.generate_span_id(), is_remote=False)
    return trace.set_span_in_context(NonRecordingSpan(span), Context())


class CarriedTrace:
    """ASGI: each request runs in the trace its ``traceparent`` header names, or a new one,
    when the FastAPI instrumentation is left out (``records_spans``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = {k: v for k, v in scope["headers"] if k in (b"traceparent", b"tracestate")}
        token = attach(carried(*(_text(found.get(k)) for k in (b"traceparent", b"tracestate"))))
        try:
            await self.app(scope, receive, send)
        finally:
            detach(token)


def _text(raw: bytes | None) -> str | None:
    return raw.decode("latin-1") if raw is not None else None


PATH_ATTRIBUTES = ("http.target", "url.path")
URL_ATTRIBUTES = ("http.url", "url.full")
UNMATCHED = "unmatched"


def instrument_requests(app: FastAPI, provider: TracerProvider) -> None:
    """Record a span per request, its path and URL written with the route's template."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        server_request_hook=template_paths,
    )


def template_paths(span: Span, scope: Scope) -> None:
    """Overwrite the request's path in the span with its route's template (``unmatched`` for
    none): a traveller's link carries its token in the path (``/v1/track/{token}``, survey,
    appeal, file), and spans go to the collector, whose readers are staff."""
    if not span.is_recording():
        return
    template = route_template(scope)
    attributes = getattr(span, "attributes", None) or {}
    for key in PATH_ATTRIBUTES:
        if key in attributes:
            span.set_attribute(key, template)
    for key in URL_ATTRIBUTES:
        if isinstance(url := attributes.get(key), str):
            span.set_attribute(key, urlsplit(url)._replace(path=template).geturl())


def route_template(scope: Scope) -> str:
    """The template of the route the request's path matches, trailing slashes aside."""
    path = scope.get("path", "")
    plain = {**scope, "path": path.rstrip("/") or "/"}
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    return _template(routes, plain) or UNMATCHED


def _template(routes: Iterable[Any], scope: Scope) -> str | None:
    """FastAPI (0.163) keeps an included router whole, as one route holding the router and
    its prefix (``original_router``, ``include_context.prefix``): look inside it."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return str(getattr(route, "path", UNMATCHED))
            continue
        prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
        path = scope["path"]
        if not path.startswith(prefix):
            continue
        found = _template(included.routes, {**scope, "path": path[len(prefix) :] or "/"})
        if found is not None:
            return prefix + found
    return None
