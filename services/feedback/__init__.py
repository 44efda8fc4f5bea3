"""Feedback: surveys after resolution, ratings, and the metrics read model."""
