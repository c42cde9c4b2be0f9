"""sd_notify for Type=notify services: READY=1, WATCHDOG=1, STOPPING=1 (a datagram to $NOTIFY_SOCKET)."""
from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self):
        addr = os.environ.get("NOTIFY_SOCKET")
        self.addr = ("\0" + addr[1:]) if addr and addr.startswith("@") else addr
        usec = os.environ.get("WATCHDOG_USEC")
        self.interval_s = int(usec) / 2e6 if usec else None  # ping twice per watchdog period
        self._last_ping = 0.0

    def send(self, state: str) -> None:
        if not self.addr:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(state.encode(), self.addr)

    def watchdog(self) -> None:
        """Call from the frame loop: a stuck pipeline stops the pings and systemd restarts the service."""
        now = time.monotonic()
        if self.interval_s and now - self._last_ping >= self.interval_s:
            self.send("WATCHDOG=1")
            self._last_ping = now
