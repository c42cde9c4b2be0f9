"""InfluxDB storage of aggregates (never a visitor code)."""
