"""SLA: policies, calendars and clocks (``domain``), the durable timers and their scheduler."""
