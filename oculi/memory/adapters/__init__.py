"""Real perception backends for memory ingest until oculi/vision and oculi/voice provide them."""
