"""The real servers from deploy/local: a message through mosquitto, a point through influxd."""
import json
import queue
import subprocess
import sys
import time
import uuid

import paho.mqtt.client as mqtt
import pytest

from footfall.devserver.services import LocalServices
from footfall.protocol import StatusMessage, encode, parse_message, topic_for

pytestmark = pytest.mark.integration


def client(port: int, name: str) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:6]}")
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_mqtt_message_through_real_mosquitto(services):
    got: queue.Queue = queue.Queue()
    sub = client(services.mosquitto.port, "sub")
    sub.on_message = lambda c, u, msg: got.put((msg.topic, msg.payload, msg.qos))
    site = f"site-{uuid.uuid4().hex[:8]}"  # other tests leave retained status messages on the shared broker
    sub.subscribe(f"footfall/v1/{site}/+/+", qos=1)[0]
    time.sleep(0.3)
    pub = client(services.mosquitto.port, "pub")
    msg = StatusMessage(site=site, device="entrance-1", seq=1, ts="2026-11-22T10:00:00Z", state="online", version="0.1.0")
    info = pub.publish(topic_for(site, "entrance-1", "status"), encode(msg), qos=1)
    info.wait_for_publish(5)
    topic, payload, qos = got.get(timeout=5)
    assert parse_message(topic, payload) == msg and qos == 1
    for c in (sub, pub):
        c.loop_stop()
        c.disconnect()


def test_point_written_and_read_back_with_influxql(influx):
    influx.write(["footfall_line,site=mall-west,device=entrance-1,line=door in=12i,out=9i 1795341600"], precision="s")
    rows = influx.query('SELECT "in", "out" FROM footfall_line WHERE site = \'mall-west\'')
    assert rows == [{"_measurement": "footfall_line", "time": 1795341600, "in": 12, "out": 9}]
    # the same point written again replaces, never adds: the idempotency the counts rely on
    influx.write(["footfall_line,site=mall-west,device=entrance-1,line=door in=12i,out=9i 1795341600"], precision="s")
    assert influx.query("SELECT sum(\"in\") FROM footfall_line")[0]["sum"] == 12


def test_influxql_error_is_reported(influx):
    from footfall.cloud.store.influx import InfluxError

    with pytest.raises(InfluxError, match="error parsing query"):
        influx.query("SELEKT nonsense")


def test_services_cli_up_and_down(tmp_path):
    root = tmp_path / "svc"
    up = subprocess.run([sys.executable, "-m", "footfall.devserver", "services", "up", "--dir", str(root), "--detach"],
                        capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stderr
    state = json.loads((root / "services.json").read_text())
    assert f"mosquitto  mqtt://127.0.0.1:{state['mosquitto']['port']}" in up.stdout
    assert f"influxd    http://127.0.0.1:{state['influxd']['port']}" in up.stdout
    local = LocalServices(root)  # another process finds the running servers from services.json
    assert local.influxd.ready() and local.mosquitto.ready()
    down = subprocess.run([sys.executable, "-m", "footfall.devserver", "services", "down", "--dir", str(root)],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0
    assert not local.influxd.ready() and not local.mosquitto.ready()
    assert not (root / "services.json").exists()


def test_broker_restart_on_same_port_keeps_persistent_session(services):
    """What the outage tests rely on: stop the broker, start it again, queued QoS 1 messages survive."""
    port = services.mosquitto.port
    got: queue.Queue = queue.Queue()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="persistent-sub", clean_session=False)
    sub.on_message = lambda c, u, m: got.put(m.payload)
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    sub.subscribe("footfall/v1/t/d/counts", qos=1)[0]
    time.sleep(0.3)
    sub.loop_stop()
    sub.disconnect()
    pub = client(port, "pub")
    pub.publish("footfall/v1/t/d/counts", b"queued", qos=1).wait_for_publish(5)
    pub.loop_stop()
    pub.disconnect()
    services.mosquitto.stop()
    assert not services.mosquitto.ready()
    services.mosquitto.start()
    sub.connect("127.0.0.1", port)
    sub.loop_start()
    assert got.get(timeout=5) == b"queued"
    sub.loop_stop()
    sub.disconnect()
