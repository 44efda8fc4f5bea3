"""Feedback's HTML: the traveller pages' renderer, the ops dashboard, the monthly report."""
