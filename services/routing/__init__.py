"""Routing: decides queue, priority and SLA deadlines for every ticket."""
