"""Edge unit: capture -> detect -> track -> embed -> anonymize -> events -> outbox -> MQTT.

Hardware and model libraries are imported inside their backend modules, so `import edge` works anywhere.
"""
__version__ = "0.1.0"
