"""Shared runtime plumbing for every TripCare service: settings, bus, store, outbox, telemetry."""
