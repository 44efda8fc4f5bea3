"""Intake's HTML: the agent console (staff) and the tracking page behind a traveller's link."""
