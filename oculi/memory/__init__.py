"""Private episodic memory: what the wearer saw and heard, stored and recalled on the device.

Ingest turns frames and speech into *moments* (one per keyframe or utterance); the store keeps
them in one SQLite file (FTS5 words + sqlite-vec meanings) with face-blurred thumbnails beside
it; recall finds moments by words, meaning and time and lets the LLM answer with citations.
"""
