"""Notify's pure rules: what to tell whom, on which channel, when to retry, and the record of
each delivery. No I/O; time and randomness are passed in. One module per rule set: import
from the module (``domain.delivery``, ``domain.notices``, ``domain.route`` …).
"""
