from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt


class Recorder:
    """A persistent-session QoS 1 subscriber that keeps every raw message, across broker restarts."""

    def __init__(self, port: int, topic: str = "footfall/#", client_id: str | None = None, **tls):
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"rec-{uuid.uuid4().hex[:8]}",
                                  clean_session=False)
        if tls:
            self.client.tls_set(**tls)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.subscribed = threading.Event()  # set on the broker's SUBACK: messages published from then on are kept
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.subscribed.set()
        self.client.reconnect_delay_set(0.2, 1.0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.subscribed.wait(30):
            raise TimeoutError(f"no SUBACK for {topic!r} from the broker on port {port}")

    def _on_message(self, client, userdata, msg) -> None:
        with self.lock:
            self.messages.append((msg.topic, msg.payload))

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(list(self.messages)):
                    return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
