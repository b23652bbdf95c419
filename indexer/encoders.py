"""Which encoder embeds: the factory over the runtimes, one entry each.

    onnx   indexer/onnx_embed.py   ONNX Runtime; exported once with torch (indexer/export.py); fp32 or int8
    torch  indexer/embed.py        sentence-transformers on torch; fp32

Indexing uses the configured runtime (default: onnx, fp32). An ONNX build carries its encoder in
`builds/<id>/encoder/` (under the manifest's checksums), so answering a query loads the encoder
from the index itself: no torch, no model package. An index refuses a configured runtime,
precision or model that differs from the one that made its vectors, and says what to do.
Heavy modules (onnxruntime, torch) are imported only when an encoder is actually loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.embed import Embedder, load_embedder, model_id_of
from indexer.errors import ModelMismatchError
from indexer.manifest import EncoderInfo, Manifest
from indexer.settings import Precision, Settings
from indexer.store import IndexSnapshot, current_build, load_index, read_manifest

DEFAULT_RUNTIME = "onnx"
# fp32 gives the torch vectors (mean cosine 1.0000), so every calibrated threshold holds. int8 is ~2x faster
# to embed but moves answer strengths enough to miss a labelled gap (docs/benchmarks.md, "ONNX quality gate").
DEFAULT_PRECISION: dict[str, Precision] = {"onnx": "fp32", "torch": "fp32"}
QUERY_THREADS = 1  # one embedding per request on one thread: concurrent requests share the cores side by side


def indexing_encoder(settings: Settings, *, exports: Path) -> Embedder:
    """The encoder an index build embeds with; an ONNX export is made once and cached under `exports`."""
    runtime = settings.runtime or DEFAULT_RUNTIME
    return _INDEXING[runtime](settings, exports)


def _onnx_for_indexing(settings: Settings, exports: Path) -> Embedder:
    from indexer.export import cached_export
    from indexer.onnx_embed import OnnxEmbedder

    precision = settings.precision or DEFAULT_PRECISION["onnx"]
    return OnnxEmbedder(cached_export(settings.model, exports, precision=precision), threads=settings.encoder_threads)


def _torch_for_indexing(settings: Settings, exports: Path) -> Embedder:
    return load_embedder(settings.model, threads=settings.encoder_threads)


_INDEXING: dict[str, Callable[[Settings, Path], Embedder]] = {"onnx": _onnx_for_indexing, "torch": _torch_for_indexing}


def exports_of(settings: Settings, index: Path | None = None) -> Path:
    """Where ONNX exports are kept, so a re-index does not export again: the configured folder, or the index's own."""
    return settings.encoder_cache or (index or settings.index) / "cache" / "encoders"


def open_index(
    settings: Settings, *, embedder: Embedder | None = None, reuse: Embedder | None = None
) -> tuple[IndexSnapshot, Embedder]:
    """The published index under `settings.index` and the encoder that answers queries against it.

    `embedder`: a loaded encoder the index must have been built with (tests, benchmarks).
    `reuse`: an encoder already loaded, kept when the build uses the same one (a server's reload).
    """
    root = settings.index
    if embedder is not None:
        return load_index(root, model_id=embedder.model_id, encoder=embedder.encoder_info), embedder
    check_configured(settings, read_manifest(current_build(root), root), root)  # before anything heavy loads
    snapshot = load_index(root, model_id=None)
    check_configured(settings, snapshot.manifest, root)  # the build may have been switched in between
    if (
        reuse is not None
        and not reuse.encoder_info.differs_from(snapshot.manifest.encoder)
        and reuse.model_id == snapshot.manifest.model.id
    ):
        return snapshot, reuse
    return snapshot, query_encoder(settings, snapshot)


def query_encoder(settings: Settings, snapshot: IndexSnapshot) -> Embedder:
    """The encoder that made the snapshot's vectors: the build's own copy (onnx), or the model on torch."""
    built = snapshot.manifest.encoder
    threads = settings.encoder_threads or QUERY_THREADS
    if built.runtime == "onnx":
        from indexer.onnx_embed import OnnxEmbedder

        return OnnxEmbedder(snapshot.path / (built.folder or "encoder"), threads=threads)
    embedder = load_embedder(settings.model, threads=threads)
    if embedder.model_id != snapshot.manifest.model.id:
        raise _mismatch(
            settings.index,
            f"model '{snapshot.manifest.model.id}'",
            f"'{embedder.model_id}'",
            "Or configure the model it was built with (--model / RECOMMENDER_MODEL).",
        )
    return embedder


def check_configured(settings: Settings, manifest: Manifest, root: Path) -> None:
    """Refuse a configured runtime, precision or model that differs from what built the index."""
    built = manifest.encoder
    wanted = EncoderInfo(
        runtime=settings.runtime or built.runtime, precision=settings.precision or _precision(settings, built)
    )
    if wanted.differs_from(built):
        raise _mismatch(
            root,
            f"the {built.describe()}",
            f"{wanted.runtime} {wanted.precision}",
            f"Or answer with the encoder it was built with: RECOMMENDER_RUNTIME={built.runtime} "
            f"RECOMMENDER_PRECISION={built.precision} "
            "(or leave both unset to follow the index).",
            rebuild_with=f"RECOMMENDER_RUNTIME={wanted.runtime} RECOMMENDER_PRECISION={wanted.precision} ",
        )
    if settings.model is not None and (configured := model_id_of(settings.model)) != manifest.model.id:
        raise _mismatch(
            root,
            f"model '{manifest.model.id}'",
            f"'{configured}'",
            "Or configure the model it was built with (--model / RECOMMENDER_MODEL).",
        )


def _precision(settings: Settings, built: EncoderInfo) -> str:
    return built.precision if settings.runtime in (None, built.runtime) else DEFAULT_PRECISION[settings.runtime]


def _mismatch(
    root: Path, built: str, configured: str, alternative: str, *, rebuild_with: str = ""
) -> ModelMismatchError:
    return ModelMismatchError(
        f"the index at {root} was built with {built}, but the configured encoder is {configured}",
        hint=f"Rebuild it with '{rebuild_with}recommender index PATH --index {root}'. {alternative}",
    )
