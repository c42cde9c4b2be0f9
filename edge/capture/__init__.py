"""Camera sources (file, RTSP, USB, picamera2, GStreamer), reconnect, and feed monitoring."""
