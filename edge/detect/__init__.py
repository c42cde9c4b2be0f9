"""Face detection: BlazeFace on LiteRT with our anchor decoding."""
