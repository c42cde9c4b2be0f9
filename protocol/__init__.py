"""The wire contract shared by edge and cloud: topics, message models, schema version, and the constants both sides
must agree on (contract.py), and the MQTT client both sides build (mqtt_client.py)."""
from .messages import (
    MAX_PAYLOAD_BYTES,
    SCHEMA_VERSION,
    AlertMessage,
    AuditMessage,
    CountsMessage,
    DeviceVisitors,
    DisplayCount,
    FloorGrid,
    HealthMessage,
    LineCount,
    Message,
    ProtocolError,
    StaffPresence,
    StatusMessage,
    VisitMessage,
    ZoneCount,
    decode,
    encode,
    parse_message,
)
from .topics import Kind, Topic, TopicError, parse_topic, subscription, topic_for

__all__ = [
    "MAX_PAYLOAD_BYTES", "SCHEMA_VERSION", "AlertMessage", "AuditMessage", "CountsMessage", "DeviceVisitors", "DisplayCount",
    "FloorGrid", "HealthMessage", "Kind", "LineCount", "Message", "ProtocolError", "StaffPresence", "StatusMessage", "Topic",
    "TopicError",
    "VisitMessage", "ZoneCount", "decode", "encode", "parse_message", "parse_topic", "subscription", "topic_for",
]
