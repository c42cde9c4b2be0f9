"""Durable outbox and MQTT publisher."""
