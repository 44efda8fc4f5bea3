"""Bootstrap: wire notify's store, renderer, channels, dispatcher, subscribers and HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.lag_reports import LagReporter
from runtime.periodic import Periodic
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import from_environment
from services.notify import holders, store, subscribers
from services.notify.api import ROUTERS
from services.notify.channels import sms
from services.notify.channels.registry import Channels
from services.notify.config import NotifySettings
from services.notify.dispatcher import Dispatcher
from services.notify.domain.delivery import Delivery
from services.notify.metrics import DeliveryMetrics
from services.notify.render import Renderer
from services.notify.service import Notifier


def bootstrap(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.DELIVERIES])
    deliveries = runtime.repository(store.DELIVERIES, Delivery, linger=True)
    renderer = Renderer(team_names=settings.teams)
    channels = Channels(
        settings, runtime.clock, mail_domain=settings.mail_domain, deliveries=deliveries.collection
    )
    sms.install(channels, settings.sms)
    metrics = DeliveryMetrics(runtime.registry)
    dispatcher = Dispatcher(
        deliveries,
        channels,
        renderer,
        runtime.clock,
        settings,
        metrics=metrics,
        signer=runtime.link_signer,
    )
    notifier = Notifier(
        deliveries,
        renderer,
        runtime.clock,
        directory=settings.directory,
        available=channels.available,
        on_pending=dispatcher.due,
        phone_region=settings.region_of,
        metrics=metrics,
        holder_records=runtime.batched(holders.HOLDERS, linger=True),
        links=dispatcher.links,
    )
    lags = LagReporter(runtime.bus, runtime.clock)
    subscribers.register(runtime.bus, notifier, lags)
    cleanup = Periodic(
        "notify-withdrawn-surveys",
        store.CLEANUP_EVERY.total_seconds(),
        notifier.forget_withdrawn_surveys,
        failure="withdrawn surveys not cleaned up",
    )
    runtime.workers.extend([dispatcher, lags, cleanup])
    app = create_app(
        runtime,
        title="TripCare notify",
        description="Tells every person on their channel, in their language, once; "
        "in-app inbox and delivery log.",
        routers=ROUTERS,
        ensure_indexes=store.ensure_indexes,
    )
    app.state.notifier = notifier
    return app


if __name__ == "__main__":
    serve("services.notify.main:bootstrap", from_environment(NotifySettings))
