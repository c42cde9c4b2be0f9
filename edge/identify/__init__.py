"""Rotating anonymous codes (period keys, keyed LSH) and the device gallery."""
