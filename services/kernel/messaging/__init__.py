"""Kernel layer 3, messaging (消息): topics, the outbox relay and its lease and parking lot, projection
consumers and runners, dead letters, read-model generations, and the Runtime that holds a service's connections.

Imports the base and event-sourcing layers."""
