"""What the broker holds about each device: the retained `status` message (online / offline via the last will,
software version) and the model hashes of its latest `health` message. Neither is a time series, so the read
layer listens instead of querying: on subscribing, the broker hands over every retained status at once."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from footfall.protocol import HealthMessage, ProtocolError, StatusMessage, parse_message
from footfall.protocol.configfile import MqttSettings
from footfall.protocol.mqtt_client import mqtt_client

log = logging.getLogger(__name__)


@dataclass
class DeviceStatus:
    state: str = "unknown"  # online / offline / unknown (nothing retained yet)
    since: datetime | None = None
    version: str | None = None
    models: dict[str, str] = field(default_factory=dict)


class StatusWatcher:
    def __init__(self, settings: MqttSettings, client_id: str):
        self.settings = settings
        self.devices: dict[tuple[str, str], DeviceStatus] = {}
        self.ready = threading.Event()  # subscribed: retained statuses arrive right after
        self._lock = threading.Lock()
        self.client = mqtt_client(settings, client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = self._on_message

    def start(self) -> "StatusWatcher":
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s)
        self.client.loop_start()
        return self

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason, properties=None) -> None:
        if reason.is_failure:
            log.warning("status watcher: broker refused: %s", reason)
            return
        client.subscribe([("footfall/v1/+/+/status", 1), ("footfall/v1/+/+/health", 0)])

    def _on_message(self, client, userdata, msg) -> None:
        try:
            m = parse_message(msg.topic, msg.payload)
        except ProtocolError:
            return  # the ingest parks and counts bad messages; here they are just not status
        with self._lock:
            s = self.devices.setdefault((m.site, m.device), DeviceStatus())
            if isinstance(m, StatusMessage):
                s.state, s.since, s.version = m.state, m.ts, m.version
            elif isinstance(m, HealthMessage) and m.models:
                s.models = dict(m.models)

    def get(self, site: str, device: str) -> DeviceStatus:
        with self._lock:
            s = self.devices.get((site, device))
            return DeviceStatus(s.state, s.since, s.version, dict(s.models)) if s else DeviceStatus()
