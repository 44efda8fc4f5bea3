"""Triage of a contact's text: the model, its language rules, n-grams and the urgency rubric."""
