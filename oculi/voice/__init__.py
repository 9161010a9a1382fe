"""The voice subsystem: hear the wearer, answer aloud, stop when interrupted.

One module per stage (audio in, wake word, voice activity, speech-to-text, agent,
text-to-speech, audio out), typed frames between them (`frames.py`) and the asyncio
pipeline that connects them (`pipeline.py`). Models run on worker threads, never on the
event loop.
"""
