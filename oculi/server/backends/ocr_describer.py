"""Images described by the text they contain (PP-OCRv4 via rapidocr), for a text-only LLM.

No vision-language model can be installed offline here, so until the vision subsystem offers
its own `ImageDescriber`, the most useful thing a glasses assistant can say about a photo is
what is written in it (signs, labels, screens, letters).
"""

from __future__ import annotations

MIN_SCORE = 0.5


class OcrImageDescriber:
    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR()

    def describe(self, image: bytes, mime: str, question: str) -> str:
        result, _ = self._ocr(image)
        lines = [text for _, text, score in (result or []) if float(score) >= MIN_SCORE]
        if not lines:
            return "a photo with no readable text"
        return "a photo; the text in it reads: " + " / ".join(lines)
