"""The ONNX Runtime embedder: sentence vectors with no torch, from an exported encoder folder.

    <folder>/model.onnx      the transformer (fp32 or int8): token ids in, token vectors out
    <folder>/model.onnx.data its weights, which ONNX Runtime maps into memory instead of copying
    <folder>/tokenizer.json  the model's own tokenizer, read by Hugging Face `tokenizers`
    <folder>/encoder.json    dimension, max_tokens, pooling, precision and the export's fingerprint

`indexer/export.py` writes the folder; every index build carries a copy of the one that made its
vectors, so a server needs only the index. Vectors are computed as sentence-transformers computes
them: text truncated at `max_tokens` word pieces (special tokens included), the mean of the token
vectors over the attention mask, L2-normalised.

int8 models quantise activations on the fly with one scale per input tensor, so a text's vector
would depend on the other texts (and the padding) in its batch; they embed one text per run, which
makes a text's vector depend on the text alone. fp32 models run batches of similar length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime
from pydantic import BaseModel, ConfigDict, ValidationError
from tokenizers import Encoding, Tokenizer

from indexer.embed import Embedder, Progress
from indexer.errors import ModelLoadError

ENCODER_FILE = "encoder.json"
MODEL_FILE = "model.onnx"
MODEL_DATA_FILE = "model.onnx.data"
TOKENIZER_FILE = "tokenizer.json"


class EncoderConfig(BaseModel):
    """encoder.json: what the embedder needs besides the model and the tokenizer."""

    model_config = ConfigDict(frozen=True)

    format: Literal[1] = 1
    model_id: str  # the sentence-transformers model it was exported from (name@fingerprint)
    runtime: Literal["onnx"] = "onnx"
    precision: Literal["int8", "fp32"]
    fingerprint: str  # of the export: model fingerprint, precision and export recipe
    dimension: int
    max_tokens: int
    pooling: Literal["mean"] = "mean"
    normalize: bool = True
    lowercase: bool = False
    inputs: tuple[str, ...]
    built_with: dict[str, str] = {}
    probe_cosine: float | None = None  # mean cosine to sentence-transformers on the export's probe texts


def read_config(folder: Path) -> EncoderConfig:
    try:
        return EncoderConfig.model_validate_json((folder / ENCODER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        raise ModelLoadError(
            f"no usable ONNX encoder in {folder} ({exc.__class__.__name__})",
            hint="Re-index to export the encoder again.",
        ) from exc


class OnnxEmbedder(Embedder):
    """An exported encoder run by ONNX Runtime on the CPU; safe to share between threads."""

    runtime = "onnx"

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        config = read_config(folder)
        self.config = config
        self.folder: Path = folder
        self.model_id = config.model_id
        self.dimension = config.dimension
        self.max_tokens = config.max_tokens
        self.precision = config.precision
        self.encoder_fingerprint = config.fingerprint
        self.threads = threads  # None: ONNX Runtime's default, one per physical core
        self._session = _session(folder / MODEL_FILE, threads)
        self._one_per_run = config.precision == "int8"
        self._truncating = _tokenizer(folder, truncate_at=config.max_tokens)
        self._counting: Tokenizer | None = None  # made on first use: only indexing counts tokens

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._truncating.encode_batch(self._prepared(texts)))

    def embed(self, texts: Sequence[str], *, batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        """Batches of similar length (as sentence-transformers sorts them), so little is spent on padding."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._truncating.encode_batch(self._prepared(texts)) if texts else []
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
            if progress is not None:
                progress(len(rows))
        return out

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self._counting is None:
            self._counting = _tokenizer(self.folder, truncate_at=None)
        return [len(e.ids) for e in self._counting.encode_batch(self._prepared(texts), add_special_tokens=False)]

    def _prepared(self, texts: Sequence[str]) -> list[str]:
        return [t.lower() for t in texts] if self.config.lowercase else list(texts)

    def _run(self, encodings: Sequence[Encoding]) -> np.ndarray:
        if not encodings:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._one_per_run and len(encodings) > 1:
            return np.vstack([self._run([e]) for e in encodings])
        ids, mask, types = _padded(encodings)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        tokens = self._session.run(None, {name: feeds[name] for name in self.config.inputs})[0]
        return mean_pool(tokens, mask)


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where the mask is 1, then L2-normalised (as sentence-transformers' Pooling +
    Normalize)."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (tokens * weights).sum(axis=1)
    means = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return (means / np.clip(norms, 1e-12, None)).astype(np.float32)


def _padded(encodings: Sequence[Encoding]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        ids[row, :n] = encoding.ids
        mask[row, :n] = 1
        types[row, :n] = encoding.type_ids
    return ids, mask, types


def _session(path: Path, threads: int | None) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: ONNX Runtime's default, one per physical core
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own error types for missing and bad files
        raise ModelLoadError(
            f"cannot load the ONNX encoder {path}: {exc}", hint="Re-index to export the encoder again."
        ) from exc


def _tokenizer(folder: Path, *, truncate_at: int | None) -> Tokenizer:
    try:
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    except Exception as exc:  # tokenizers raises a plain Exception for a missing or bad file
        raise ModelLoadError(
            f"cannot read the tokenizer in {folder}: {exc}", hint="Re-index to export the encoder again."
        ) from exc
    tokenizer.no_padding()
    if truncate_at is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=truncate_at)
    return tokenizer
