"""Cloud aggregator: MQTT ingest -> link -> InfluxDB -> query / API / reports / Grafana."""
__version__ = "0.1.0"
