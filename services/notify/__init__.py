"""Notify: tells travellers (and agents) about every step, in their language, exactly once."""
