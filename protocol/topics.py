"""MQTT topic layout: footfall/v1/<site>/<device>/<kind>."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

ROOT = "footfall"
VERSION = "v1"
# Site and device ids end up in topics, InfluxDB tags and file names: keep them plain.
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_ID_RE = re.compile(ID_PATTERN)


class Kind(str, Enum):  # not StrEnum (3.11): the edge runs on JetPack 6's Python 3.10
    def __str__(self) -> str:
        return self.value

    COUNTS = "counts"
    VISITS = "visits"
    HEALTH = "health"
    STATUS = "status"
    ALERTS = "alerts"
    AUDIT = "audit"  # consented recognition's audit events (enroll, remove, expire, match, feedback), no face


# `footfall-edge check` publishes one QoS 1 message to footfall/v1/<site>/<device>/check (below the unit's own prefix,
# which the broker's ACL allows) to prove a real PUBACK; the aggregator drops it unread, neither stored nor parked.
PROBE_KIND = "check"


class TopicError(ValueError):
    pass


@dataclass(frozen=True)
class Topic:
    site: str
    device: str
    kind: Kind

    def __str__(self) -> str:
        return f"{ROOT}/{VERSION}/{self.site}/{self.device}/{self.kind.value}"


def check_id(value: str, what: str) -> str:
    if not _ID_RE.match(value):
        raise TopicError(f"{what} {value!r} must match {ID_PATTERN}")
    return value


def topic_for(site: str, device: str, kind: Kind | str) -> str:
    try:
        kind = Kind(kind)
    except ValueError:
        raise TopicError(f"unknown kind {kind!r}; expected one of {[k.value for k in Kind]}") from None
    return str(Topic(check_id(site, "site"), check_id(device, "device"), kind))


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT or parts[1] != VERSION:
        raise TopicError(f"topic {topic!r} is not {ROOT}/{VERSION}/<site>/<device>/<kind>")
    _, _, site, device, kind = parts
    try:
        kind_enum = Kind(kind)
    except ValueError:
        raise TopicError(f"topic {topic!r}: unknown kind {kind!r}") from None
    return Topic(check_id(site, "site"), check_id(device, "device"), kind_enum)


def subscription(site: str = "+", device: str = "+", kind: str = "+") -> str:
    """Filter for the cloud subscriber; '+' is the MQTT single-level wildcard."""
    return f"{ROOT}/{VERSION}/{site}/{device}/{kind}"
