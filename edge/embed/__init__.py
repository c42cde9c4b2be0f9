"""Face alignment, quality and embedding (SFace), best sightings per track."""
