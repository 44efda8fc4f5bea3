"""Integration contracts shared by every TripCare service: envelope, events, topology."""
