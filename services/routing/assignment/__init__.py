"""Assignment: queues, agents, the tenant policy, escalation and push dispatch."""
