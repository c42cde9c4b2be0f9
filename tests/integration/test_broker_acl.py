"""deploy/mosquitto on a real mosquitto: the shipped mosquitto.conf and ACL (paths and port substituted), with
certificates made by deploy/mosquitto/pki.py. Devices publish only below their own topic prefix and read nothing,
the aggregator reads everything; revoked, foreign, anonymous and plaintext clients are refused."""
from __future__ import annotations

import getpass
import importlib.util
import os
import ssl
import threading
from pathlib import Path

import jinja2
import paho.mqtt.client as mqtt
import pytest

from footfall.devserver.services import Mosquitto, ensure_installed, free_port

pytestmark = pytest.mark.integration
SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"


def load_pki():
    spec = importlib.util.spec_from_file_location("footfall_pki", SHIPPED / "pki.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ShippedBroker(Mosquitto):
    """mosquitto with deploy/mosquitto/mosquitto.conf: only the paths, the port and the account are changed."""

    def __init__(self, directory: Path, port: int, etc: Path):
        super().__init__("mosquitto", directory, port)
        self.etc = etc

    def config_text(self) -> str:
        text = (SHIPPED / "mosquitto.conf").read_text()
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        text = text.replace("/etc/mosquitto/footfall/", f"{self.etc}/").replace("/var/lib/mosquitto/", f"{self.dir}/data/")
        text = text.replace("listener 8883\n", f"listener {self.port} 127.0.0.1\n").replace("log_dest syslog", "log_dest stdout")
        assert f"listener {self.port} 127.0.0.1" in text and f"{self.etc}/acl" in text
        return text + f"user {getpass.getuser()}\n"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    ensure_installed(("mosquitto",))
    pki_mod = load_pki()
    tmp = tmp_path_factory.mktemp("broker-acl")
    pki = pki_mod.Pki(tmp / "pki")
    pki.init()
    etc = tmp / "etc"
    etc.mkdir()
    crt, key = pki.server(["127.0.0.1", "localhost"])
    for src, name in ((pki.ca_crt, "ca.crt"), (crt, "server.crt"), (key, "server.key"), (pki.crl, "crl.pem")):
        (etc / name).write_bytes(src.read_bytes())
    acl = jinja2.Template((SHIPPED / "acl.j2").read_text()).render(cloud_mosquitto_aggregators=["footfall-cloud"])
    (etc / "acl").write_text(acl)
    certs = {"a": pki.device("lab", "door-a"), "b": pki.device("lab", "door-b"), "stolen": pki.device("lab", "door-c"),
             "cloud": pki.aggregator("footfall-cloud")}
    pki.revoke("lab/door-c")
    (etc / "crl.pem").write_bytes(pki.crl.read_bytes())
    other = pki_mod.Pki(tmp / "other-ca")
    other.init("Not our CA")
    certs["foreign"] = other.device("lab", "door-a")  # the same CN, signed by someone else
    broker = ShippedBroker(tmp / "broker", free_port(), etc)
    broker.start()
    yield broker, pki, certs, etc
    broker.stop()


class Client:
    """A paho client whose connection outcome and messages are events to wait on."""

    def __init__(self, port: int, ca: Path | None, cert: tuple[Path, Path] | None = None, tls: bool = True):
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{os.urandom(4).hex()}",
                             protocol=mqtt.MQTTv311)
        if tls:
            self.c.tls_set(ca_certs=str(ca), certfile=str(cert[0]) if cert else None,
                           keyfile=str(cert[1]) if cert else None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.done = threading.Event()
        self.ok = False
        self.messages: list[tuple[str, bytes]] = []
        self.changed = threading.Condition()
        self.suback: list = []
        self.subscribed = threading.Event()
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = lambda *a: self.done.set()
        self.c.on_connect_fail = lambda *a: self.done.set()
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        try:
            self.c.connect("127.0.0.1", port, keepalive=30)
        except (OSError, ssl.SSLError) as e:
            self.error = e
            self.done.set()
            return
        self.c.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.ok = not reason_code.is_failure
        self.done.set()

    def _on_message(self, client, userdata, msg):
        with self.changed:
            self.messages.append((msg.topic, msg.payload))
            self.changed.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.suback = reason_codes
        self.subscribed.set()

    def connected(self, timeout: float = 10) -> bool:
        assert self.done.wait(timeout), "no outcome from the broker"
        return self.ok

    def subscribe(self, topic: str) -> list:
        self.subscribed.clear()
        self.c.subscribe(topic, qos=1)
        assert self.subscribed.wait(10)
        return [int(rc.value) for rc in self.suback]

    def publish(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(10)

    def wait_for(self, payload: bytes, timeout: float = 10) -> list[tuple[str, bytes]]:
        with self.changed:
            assert self.changed.wait_for(lambda: any(p == payload for _, p in self.messages), timeout), self.messages
            return list(self.messages)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def clients(fleet):
    broker, pki, certs, _ = fleet
    made = []

    def make(name: str | None, **kw) -> Client:
        c = Client(broker.port, pki.ca_crt, certs[name] if name else None, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_devices_publish_only_their_own_topics_and_the_aggregator_gets_all_they_may(clients):
    cloud, a, b = clients("cloud"), clients("a"), clients("b")
    assert cloud.connected() and a.connected() and b.connected()
    assert cloud.subscribe("footfall/v1/#") == [1] and cloud.subscribe("footfall-deadletter/v1") == [1]
    forged = [("footfall/v1/lab/door-b/counts", b"A as B"), ("footfall/v1/other-site/door-a/counts", b"A elsewhere"),
              ("footfall/v1/lab/door-a/counts/extra", b"A too deep"), ("footfall/v1/lab/counts", b"A too shallow"),
              ("footfall-deadletter/v1", b"A parks")]
    for topic, payload in forged:
        a.publish(topic, payload)
    for kind in ("counts", "visits", "health", "status"):
        a.publish(f"footfall/v1/lab/door-a/{kind}", f"A {kind}".encode())
    b.publish("footfall/v1/lab/door-b/counts", b"B counts")
    # A's own messages come after its forged ones on one connection, in order: once they are in, the rest were dropped
    got = cloud.wait_for(b"A status")
    got = cloud.wait_for(b"B counts")
    assert sorted(got) == sorted([(f"footfall/v1/lab/door-a/{k}", f"A {k}".encode())
                                  for k in ("counts", "visits", "health", "status")] + [
        ("footfall/v1/lab/door-b/counts", b"B counts")])


def test_devices_read_nothing(clients):
    a, b = clients("a"), clients("b")
    assert a.connected() and b.connected()
    codes = a.subscribe("footfall/v1/#") + a.subscribe("footfall/v1/lab/door-b/+") + a.subscribe("footfall/v1/lab/door-a/+")
    b.publish("footfall/v1/lab/door-b/counts", b"B for the cloud only")
    b.publish("footfall/v1/lab/door-a/counts", b"B as A")  # dropped as well: B may not write there
    # mosquitto 2.0 grants a v3.1.1 subscription it will deliver nothing to; what matters is that nothing comes:
    probe = clients("cloud")
    assert probe.connected() and probe.subscribe("footfall/v1/lab/door-b/+") == [1]
    b.publish("footfall/v1/lab/door-b/health", b"marker")
    probe.wait_for(b"marker")  # B's earlier messages were routed before this one
    assert a.messages == [], (codes, a.messages)


def test_revoked_foreign_anonymous_and_plaintext_clients_are_refused(fleet, clients):
    broker = fleet[0]
    assert clients("a").connected()  # the same broker takes a good certificate
    assert not clients("stolen").connected()  # revoked by the CRL
    assert not clients("foreign").connected()  # right CN, wrong CA
    assert not clients(None).connected()  # TLS without a client certificate
    plain = clients(None, tls=False)
    assert not plain.connected()
    text = (SHIPPED / "mosquitto.conf").read_text()
    listeners = [line for line in text.splitlines() if line.startswith("listener ")]
    assert "\nallow_anonymous false" in text and listeners == ["listener 8883"]  # no plaintext listener at all
    assert broker.running


def test_revoking_a_unit_on_a_running_broker_shuts_it_out(fleet, clients):
    """A unit stolen after the broker started: revoke, push the CRL, restart (what cloud.yml --tags crl does). A
    SIGHUP would reload the CRL for new connections too (seen with 2.0.11) but leave a connected thief connected."""
    broker, pki, certs, etc = fleet
    certs["late"] = pki.device("lab", "door-late")
    assert clients("late").connected()
    pki.revoke("lab/door-late")
    (etc / "crl.pem").write_bytes(pki.crl.read_bytes())
    broker.stop()
    broker.start()
    assert not clients("late").connected()
    assert clients("b").connected()


def test_pki_refuses_ids_that_are_not_topic_levels(tmp_path):
    pki = load_pki().Pki(tmp_path)
    pki.init()
    for site, device in (("lab", "door/x"), ("lab", "+"), ("Lab", "door"), ("lab", "#")):
        with pytest.raises(Exception, match="must match"):
            pki.device(site, device)
    first = pki.device("lab", "door")
    assert pki.device("lab", "door") == first  # idempotent: not reissued
    assert load_pki().main(["--dir", str(tmp_path), "revoke", "lab/nobody"]) == 2

