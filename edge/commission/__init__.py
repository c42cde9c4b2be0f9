"""Commissioning a mounted unit: a live aiming view served by the unit itself, an acceptance test, a report.

Frames stay in this process's memory: the preview is JPEG-encoded in memory for the installer's browser (through
an SSH tunnel to 127.0.0.1) and is never written anywhere; the session stops by itself after its timeout.
"""
