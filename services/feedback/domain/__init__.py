"""Feedback's pure rules, one module per aggregate or rule set; no I/O, time passed in."""
