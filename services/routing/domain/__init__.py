"""Routing's case file (``case``) and the rules every part of routing shares: what the
classifier read, priority levels, and corrections. Pure: no store, bus or HTTP."""
