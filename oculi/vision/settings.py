"""Vision settings, until `oculi.config.Settings` grows a `vision` section that holds them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VisionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_pixels: int = Field(
        40_000_000, ge=1, description="refuse images with more pixels than this (decompression bombs)"
    )
    max_side: int = Field(
        1600, ge=64, description="frames are downscaled to this longest side before perception"
    )
    threads: int = Field(2, ge=1, description="CPU threads for the ONNX models")
    ocr_min_score: float = Field(0.5, ge=0.0, le=1.0, description="drop OCR lines below this")
    ocr_max_side: int = Field(960, ge=320, le=4096, description="longest side the text detector looks at (pixels)")
    detector_model: str | None = Field(
        None,
        description="model id of the object detector; unset: the best installed one "
        "(an added YOLOX ONNX file before the default yolov3-tiny)",
    )
    detector_min_score: float = Field(0.35, ge=0.0, le=1.0, description="for YOLOX (ONNX) detectors")
    darknet_min_score: float = Field(0.3, ge=0.0, le=1.0, description="for the default YOLOv3-tiny")
    vlm_model: str | None = Field(
        None,
        description="model id of a vision-language model (GGUF + mmproj); unset: any one installed",
    )
    dark_luma: float = Field(45.0, description="mean luminance (0-255) below which a frame is dark")
    dark_highlight_luma: float = Field(
        100.0, description="...unless its brightest twentieth is above this (a lit subject on a black background)"
    )
    bright_luma: float = Field(215.0, description="mean luminance above which it is over-exposed")
    clipped_fraction: float = Field(0.45, description="share of near-white pixels that means glare")
    min_contrast: float = Field(
        45.0, description="grey-level standard deviation below which a bright frame is washed out"
    )
    blur_variance: float = Field(
        75.0,
        description="variance of the Laplacian, in the frame's most detailed parts, below which "
        "a frame is blurred",
    )
