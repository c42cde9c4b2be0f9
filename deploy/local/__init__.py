"""Real mosquitto and influxd on loopback for development, the demo and tests (deploy/local/README.md)."""
