"""The OCR engine: RapidOCR on ONNX Runtime, with the models that ship inside the rapidocr wheel.

Nothing is fetched at run time: the detection, direction and recognition models are given to
RapidOCR by path, inside the installed package (``rapidocr/models/``); if one is missing verify
raises :class:`~verify.errors.OcrUnavailableError` instead of letting RapidOCR download it.

The bundled models are PP-OCRv6 "small" detection and recognition (multilingual) and the PP-OCRv4
text-direction classifier. The recognition model's alphabet (18,710 symbols) covers Latin script
with its accented letters (English, French, German, Spanish, Portuguese, Italian, Dutch, Polish,
Czech, Turkish, Vietnamese, … ~50 languages), Chinese (simplified and traditional), Japanese (kana
and kanji) and Greek letters (read poorly). Cyrillic, Arabic, Hebrew, Devanagari, Thai and Korean
are NOT in it: RapidOCR offers them only as separate downloads, which verify does not make.

RapidOCR's own logger (which prints to the terminal) is re-routed to ``logging.getLogger("verify")``.

ONNX Runtime (1.2x and later) carries Microsoft's telemetry SDK: at import it records device and
process facts in ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db`` and tries to
send them to ``mobile.events.data.microsoft.com`` (DNS look-ups seen with strace). verify turns it
off before ONNX Runtime can be imported (``ORT_DISABLE_TELEMETRY=1``, set here, the one module
that loads it); ``tests/test_ocr_offline.py`` proves that no socket is opened and nothing is written.
"""

from __future__ import annotations

import os

# before anything imports onnxruntime (rapidocr does when the engine is made): no telemetry
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OcrUnavailableError
from .model import Detection

log = logging.getLogger("verify")

#: Scripts the bundled recognition model reads (see the module docstring).
LANGUAGES = ("Latin", "Chinese", "Japanese")
MODELS = {
    "det": "PP-OCRv6_det_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
}


@dataclass(frozen=True)
class OcrSettings:
    """How text is read. ``det_side``: longest side of the picture text detection sees (the
    recognition reads the crops at full frame size); ``min_confidence``: readings below are dropped;
    ``use_cls``: also try upside-down lines (off: captions and overlays are upright)."""

    det_side: int = 640
    min_confidence: float = 0.6
    use_cls: bool = False
    threads: int = 0  # ONNX Runtime threads per session; 0 = its default (all cores)


class _Forward(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.debug("rapidocr: %s", record.getMessage())


def _quiet_rapidocr() -> None:
    rl = logging.getLogger("RapidOCR")
    for h in list(rl.handlers):
        rl.removeHandler(h)
    rl.addHandler(_Forward())
    rl.propagate = False


def model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.origin:
        raise OcrUnavailableError("the rapidocr package is not installed",
                                  hint="Install verify's requirements (pip install -r requirements.txt).")  # fmt: skip
    return Path(spec.origin).parent / "models"


def engine_id() -> str:
    from importlib import metadata

    def v(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    return f"rapidocr {v('rapidocr')} PP-OCRv6 small (onnxruntime {v('onnxruntime')})"


class Engine:
    """A loaded OCR engine (about 2 s to load; reuse it). Thread-safe: calls are serialised."""

    def __init__(self, settings: OcrSettings | None = None) -> None:
        self.settings = settings or OcrSettings()
        root = model_dir()
        paths = {k: root / name for k, name in MODELS.items()}
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise OcrUnavailableError(f"the OCR models are missing ({', '.join(missing)})",
                                      hint="Reinstall rapidocr; verify never downloads models.")  # fmt: skip
        _quiet_rapidocr()
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailableError(f"rapidocr cannot be imported ({exc})") from exc
        s = self.settings
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.use_cls": s.use_cls,
            "Global.text_score": s.min_confidence,
            "Det.model_path": str(paths["det"]),
            "Cls.model_path": str(paths["cls"]),
            "Rec.model_path": str(paths["rec"]),
            "Det.limit_type": "max",
            "Det.limit_side_len": s.det_side,
        }
        if s.threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = s.threads
        self._ocr = RapidOCR(params=params)
        _quiet_rapidocr()
        self._lock = threading.Lock()
        self.id = engine_id()

    def read(self, image: np.ndarray) -> list[Detection]:
        """The lines of text in one frame (RGB ``uint8`` (h, w, 3), or gray (h, w))."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError("a frame must be a uint8 array of shape (h, w, 3) or (h, w)")
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return []
        bgr = (
            np.repeat(image[..., None], 3, axis=2)
            if image.ndim == 2
            else np.ascontiguousarray(image[..., ::-1])
        )
        with self._lock:
            out = self._ocr(bgr)
        boxes, texts, scores = (getattr(out, k, None) for k in ("boxes", "txts", "scores"))
        if boxes is None or texts is None or scores is None:
            return []
        found = []
        for quad, text, score in zip(boxes, texts, scores, strict=False):
            q = np.asarray(quad, dtype=float)
            x0, y0 = max(0.0, q[:, 0].min() / w), max(0.0, q[:, 1].min() / h)
            x1, y1 = min(1.0, q[:, 0].max() / w), min(1.0, q[:, 1].max() / h)
            if (
                _plausible(str(text).strip(), float(score), y1 - y0)
                and float(score) >= self.settings.min_confidence
            ):
                box = (round(float(x0), 4), round(float(y0), 4), round(float(x1), 4), round(float(y1), 4))
                found.append(Detection(str(text).strip(), round(float(score), 4), box))
        return found


#: A "line" taller than this share of the frame is texture read as text, not a line of text.
MAX_LINE_HEIGHT = 0.4
#: Readings with fewer letters or digits than this need a high confidence (a drawn face's eyes read as "0.0").
SHORT = 3
SHORT_CONFIDENCE = 0.95


def _plausible(text: str, score: float, height: float) -> bool:
    """Drop what OCR reads into textures: giant "lines", and lone symbols read with doubt."""
    if not text or height > MAX_LINE_HEIGHT:
        return False
    return sum(ch.isalnum() for ch in text) >= SHORT or score >= SHORT_CONFIDENCE


_engines_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached(settings: OcrSettings) -> Engine:
    return Engine(settings)


def get_engine(settings: OcrSettings | None = None) -> Engine:
    """A shared engine for these settings (loaded once per process)."""
    with _engines_lock:
        return _cached(settings or OcrSettings())
