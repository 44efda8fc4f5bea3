"""Bootstrap: wire notify's store, renderer, channels, dispatcher, subscribers and HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from services.notify import api, sms, store
from services.notify.channels import Channels
from services.notify.config import NotifySettings
from services.notify.domain.delivery import Delivery
from services.notify.handlers import Dispatcher, Notifier, register_subscribers
from services.notify.render import Renderer


def bootstrap(settings: Settings | None = None, notify: NotifySettings | None = None) -> FastAPI:
    settings = settings or Settings(service="notify")
    notify = notify or NotifySettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.DELIVERIES])
    deliveries = runtime.repository(store.DELIVERIES, Delivery)
    renderer = Renderer(team_names=notify.teams)
    channels = Channels(notify, runtime.clock, mail_domain=settings.mail_domain)
    sms.install(channels, notify.sms)
    dispatcher = Dispatcher(deliveries, channels, renderer, runtime.clock, notify)
    notifier = Notifier(
        deliveries,
        renderer,
        runtime.clock,
        directory=notify.directory,
        available=channels.available,
        on_pending=dispatcher.due,
        phone_region=notify.region_of,
    )
    register_subscribers(runtime.bus, notifier)
    runtime.workers.append(dispatcher)
    return create_app(
        runtime,
        title="TripCare notify",
        description="Tells every person on their channel, in their language, once; "
        "in-app inbox and delivery log.",
        routers=[api.router(notifier)],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.notify.main:bootstrap", Settings(service="notify"))
