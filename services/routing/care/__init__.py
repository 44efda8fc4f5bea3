"""Proactive care: the trips read model, supplier events, incidents and proactive notices."""
