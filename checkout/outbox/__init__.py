"""Delivering the outbox: queued messages sent through their channel, retried on failure."""
