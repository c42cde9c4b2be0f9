"""Lines, zones, dwell and display attention: per-interval counts and visit events."""
