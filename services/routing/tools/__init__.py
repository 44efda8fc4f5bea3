"""Routing's offline tools: training and evaluation of the triage model, the knowledge-base
threshold's calibration, batch classification and the export of agents' corrections.

None of them is on the service's runtime path: ``python -m services.routing.tools.<tool>``.
"""
