"""Intake: contacts become tickets; owns the ticket state machine and timeline."""
