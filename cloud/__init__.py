"""Cloud aggregator: MQTT ingest -> link -> InfluxDB -> query / API / reports / Grafana."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("footfall")
except PackageNotFoundError:
    __version__ = "0+unknown"
