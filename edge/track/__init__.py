"""Multi-object tracking of detections across frames."""
