"""Edge unit: capture -> detect -> track -> embed -> anonymize -> events -> outbox -> MQTT.

Hardware and model libraries are imported inside their backend modules, so `import edge` works anywhere.
"""
from importlib.metadata import PackageNotFoundError, version

try:  # one version, the installed distribution's: health messages and `--version` name the running release
    __version__ = version("footfall")
except PackageNotFoundError:
    __version__ = "0+unknown"
