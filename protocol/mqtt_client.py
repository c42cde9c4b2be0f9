"""The MQTT client both sides use: MQTT 3.1.1 with a persistent session (clean_session=False: the broker keeps a
subscriber's QoS 1 messages while it is away, for as long as its `persistent_client_expiration` allows), TLS
(optionally with a client certificate) and credentials from the config. Callbacks and connecting stay with the
caller; keepalive is `settings.keepalive_s`."""
from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt

from .configfile import MqttSettings


def mqtt_client(settings: MqttSettings, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                         protocol=mqtt.MQTTv311, manual_ack=manual_ack)
    tls = settings.tls
    if tls:
        client.tls_set(ca_certs=str(tls.ca), certfile=str(tls.cert) if tls.cert else None,
                       keyfile=str(tls.key.path) if tls.key else None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    if settings.username:
        client.username_pw_set(settings.username, settings.password.read().decode() if settings.password else None)
    return client
