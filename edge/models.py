"""Model files: found in models/, checked against SHA256SUMS, run with ai-edge-litert (tflite-runtime fallback)."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "models"


class ModelError(RuntimeError):
    pass


def models_dir() -> Path:
    return Path(os.environ.get("FOOTFALL_MODELS_DIR", DEFAULT_DIR))


@lru_cache(maxsize=None)
def _expected(directory: Path) -> dict[str, str]:
    sums = directory / "SHA256SUMS"
    try:
        lines = sums.read_text().splitlines()
    except OSError:
        raise ModelError(f"{sums} is missing: model files cannot be verified") from None
    return {name.strip(): digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


@lru_cache(maxsize=None)
def verified_path(filename: str, directory: Path | None = None) -> Path:
    """The model's path after its sha256 matched SHA256SUMS (a corrupt or swapped file refuses to load)."""
    directory = directory or models_dir()
    path = directory / filename
    expected = _expected(directory).get(filename)
    if expected is None:
        raise ModelError(f"{filename} is not listed in {directory / 'SHA256SUMS'}")
    try:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise ModelError(f"cannot read model {path}: {e.strerror}") from None
    if actual != expected:
        raise ModelError(f"{path}: sha256 {actual[:12]}... does not match SHA256SUMS {expected[:12]}...")
    return path


def short_hash(filename: str) -> str:
    """First 8 hex digits of the model's sha256, reported in health messages."""
    return _expected(models_dir())[filename][:8]


class TfliteModel:
    """One interpreter with a single float input; `run` returns the outputs in the model's order."""

    def __init__(self, filename: str, threads: int = 1):
        path = verified_path(filename)
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # tflite-runtime can run the detectors but not the int8 SFace
            from tflite_runtime.interpreter import Interpreter
        self.filename = filename
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        inp = self.interpreter.get_input_details()[0]
        self.input_index = inp["index"]
        self.input_shape = tuple(inp["shape"])
        self.output_indices = [d["index"] for d in self.interpreter.get_output_details()]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        self.interpreter.set_tensor(self.input_index, tensor)
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(i) for i in self.output_indices]
