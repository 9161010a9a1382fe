"""Vision: frames from cameras, files and streams, and what oculi perceives in them.

`sources/` turns every input into timestamped RGB frames behind one protocol, `decode.py`
refuses bad images before they cost memory, `perception/` runs the CPU models (OCR, codes,
faces, quality, objects), `annotate.py` draws what was seen (faces blurred) and `vlm.py`
loads an optional vision-language model.
"""
