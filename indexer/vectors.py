"""Dense vectors on disk and their search: one memory-mapped copy, exact or graph search by size.

Up to `ANN_THRESHOLD` pieces a build keeps every piece vector once, as float32 in `vectors.npy`,
memory-mapped at load, and a query is an exact scan of it. Past it the build makes HNSW graphs
instead (M 32, efConstruction 200), whose storage IS the float32 vectors: `ann-all.faiss` over
every piece, memory-mapped at load (FAISS's IO_FLAG_MMAP_IFC) and viewed as the piece matrix
without a copy, and `ann-buyer.faiss` over the buyer-facing pieces only (a tenth of a mostly
internal library, the one part held twice), because a buyer's request on such a library may see
one piece in ten and a graph walked with nine in ten pieces filtered out misses neighbours. An
allowed set of at most `EXACT_ROWS` pieces is scanned exactly instead. Pages are read as they are
touched and shared between processes and snapshots. The thresholds and graph parameters come from
`python -m benchmarks.scale_library` (docs/benchmarks.md), which checks recall@10 >= 0.99 against
exact search.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import faiss  # imported where it is used, so that importing this module stays cheap

VECTORS = "vectors.npy"
ANN_ALL = "ann-all.faiss"
ANN_BUYER = "ann-buyer.faiss"
BUYER_ROWS = "ann-buyer-rows.npy"

ANN_THRESHOLD = 100_000  # pieces; below it exact search costs ~10 ms or less (scale benchmark)
EXACT_ROWS = 2_000  # an allowed set this small is scanned exactly, whatever the library's size
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256  # recall@10 0.983 at 128 for a buyer on 100k pieces, 0.999 at 256 (scale_library)
RERANKED = 100  # graph candidates taken, at least, and ordered by exact score
MAX_EF_SEARCH = 2048  # a walk widens by the share of the library a request may see, up to this


@dataclass(frozen=True)
class Graph:
    """An HNSW graph over some pieces: graph id i is piece `rows[i]` (None: every piece, in order)."""

    index: faiss.Index
    rows: np.ndarray | None

    @property
    def size(self) -> int:
        return int(self.index.ntotal)


class VectorStore:
    """The piece vectors of one build and their search; read-only and safe to share between threads."""

    def __init__(self, matrix: np.ndarray, graphs: dict[str, Graph], buyer: np.ndarray | None = None) -> None:
        """`matrix`: (pieces, d) float32, normalised; `graphs`: "all" and "buyer" when the library is large;
        `buyer`: the mask of buyer-facing pieces the "buyer" graph holds."""
        self.matrix = matrix
        self.graphs = graphs
        self._buyer = buyer

    @property
    def size(self) -> int:
        return len(self.matrix)

    @property
    def kind(self) -> str:
        return "hnsw" if self.graphs else "exact"

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosine scores of the `k` nearest pieces that `allowed` (a mask over pieces) lets through."""
        k = min(k, self.size)
        if k <= 0:
            return _empty()
        vector = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if allowed is not None:
            count = int(np.count_nonzero(allowed))
            if count == 0:
                return _empty()
            if not self.graphs or count <= EXACT_ROWS:
                return self._exact(vector, k, allowed, count)
        elif not self.graphs:
            return self._exact(vector, k, None, self.size)
        return self._graph(vector, k, allowed)

    def _exact(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None, count: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None and count <= EXACT_ROWS and self.size > EXACT_ROWS:
            rows = np.flatnonzero(allowed)
            scores = self.matrix[rows] @ vector
        else:
            rows = np.arange(self.size)
            scores = self.matrix @ vector
            if allowed is not None:
                rows, scores = rows[allowed], scores[allowed]
        return _best(rows, scores, k)

    def _graph(self, vector: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        graph = self.graphs["all"]
        buyer = self._buyer
        if allowed is not None and buyer is not None and "buyer" in self.graphs and not np.any(allowed & ~buyer):
            graph = self.graphs["buyer"]  # a buyer's request: the graph of buyer-facing pieces
        local = allowed if graph.rows is None or allowed is None else allowed[graph.rows]
        visible = graph.size if local is None else int(np.count_nonzero(local))
        wanted = max(k, RERANKED)
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        # The walk widens by the share of the library the request may see: a buyer's nearest pieces on a mostly
        # internal library lie farther out, where the graph's greedy walk misses more (scale_library: recall@10 of a
        # buyer at 1M pieces 0.931 at efSearch 256, 0.977 at 512, 0.99 at 1024).
        params.efSearch = int(min(MAX_EF_SEARCH, max(HNSW_EF_SEARCH, wanted) * self.size / max(visible, 1)))
        if local is not None and visible < graph.size:
            bits = np.packbits(local, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(local), faiss.swig_ptr(bits))
        _, ids = graph.index.search(vector.reshape(1, -1), min(wanted, graph.size), params=params)
        ids = ids[0][ids[0] >= 0]
        rows = ids if graph.rows is None else graph.rows[ids]
        return _best(rows.astype(np.int64), self.matrix[rows] @ vector, k)


def _best(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best, by score then row."""
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[part], scores[part]
    order = np.lexsort((rows, -scores))
    return rows[order].astype(np.int64), scores[order].astype(np.float32)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


# ---- writing and loading ------------------------------------------------------------------


def build_graphs(
    matrix: np.ndarray, buyer: np.ndarray, *, threshold: int = ANN_THRESHOLD
) -> dict[str, tuple[faiss.Index, np.ndarray | None]]:
    """The graphs a library of this size needs: none below `threshold` pieces, else "all" and "buyer" (unless the
    buyer-facing pieces are few enough to scan, or all of them)."""
    if len(matrix) < threshold:
        return {}
    graphs: dict[str, tuple[faiss.Index, np.ndarray | None]] = {"all": (_hnsw(matrix), None)}
    rows = np.flatnonzero(buyer).astype(np.int64)
    if EXACT_ROWS < len(rows) < len(matrix):
        graphs["buyer"] = (_hnsw(matrix[rows]), rows)
    return graphs


def _hnsw(vectors: np.ndarray) -> faiss.Index:
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    for start in range(0, len(vectors), 100_000):
        index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
    return index


def save_vectors(folder: Path, matrix: np.ndarray, graphs: dict[str, tuple[faiss.Index, np.ndarray | None]]) -> None:
    import faiss

    if "all" not in graphs:  # otherwise the graph's storage is the one copy
        np.save(folder / VECTORS, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
    for name, (index, rows) in graphs.items():
        faiss.write_index(index, str(folder / (ANN_ALL if name == "all" else ANN_BUYER)))
        if rows is not None:
            np.save(folder / BUYER_ROWS, rows, allow_pickle=False)


def load_vectors(folder: Path, pieces: int) -> VectorStore:
    """The build's vectors, memory-mapped, and its graphs when it has them."""
    graphs: dict[str, Graph] = {}
    buyer = None
    if (folder / ANN_ALL).is_file():
        graphs["all"] = Graph(_read(folder / ANN_ALL), None)
        matrix = _storage(graphs["all"].index)
    else:
        matrix = mapped(folder / VECTORS)
    if matrix.dtype != np.float32 or matrix.ndim != 2 or len(matrix) != pieces:
        raise ValueError(f"the stored vectors are {matrix.shape} {matrix.dtype}, not {pieces} float32 vectors")
    if (folder / ANN_BUYER).is_file():
        rows = np.load(folder / BUYER_ROWS, allow_pickle=False)
        graphs["buyer"] = Graph(_read(folder / ANN_BUYER), rows)
        buyer = np.zeros(pieces, dtype=bool)
        buyer[rows] = True
    for name, graph in graphs.items():
        expected = pieces if graph.rows is None else len(graph.rows)
        if graph.size != expected:
            raise ValueError(f"the {name} graph holds {graph.size} vectors, not {expected}")
    return VectorStore(matrix, graphs, buyer)


class FileRows:
    """Rows of a saved 2-D array, read from the file when asked (`os.pread`, consecutive rows in one read), never
    mapped: the few hundred rows a request reads stay in the page cache, shared, not in this process's memory.

    For the sentence vectors, read a few hundred at a time at random: mapped, the kernel maps the pages around each
    one as well, and a server's memory grows toward the whole file (scale_library, /proc/self/smaps: 589 MB of a
    2.3 GB file after 80 requests at 1M pieces).
    """

    def __init__(self, path: Path) -> None:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = header(handle)
            self.offset = handle.tell()
        if len(shape) != 2 or fortran:
            raise ValueError(f"{path.name} is not a row-major 2-D array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: int | np.integer | np.ndarray | list[int]) -> np.ndarray:
        if isinstance(rows, int | np.integer):
            return self[np.array([int(rows)])][0]
        wanted = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(wanted), self.shape[1]), dtype=self.dtype)
        if wanted.size == 0:
            return out
        if wanted.min() < 0 or wanted.max() >= self.shape[0]:
            raise IndexError("row out of range")
        order = np.argsort(wanted, kind="stable")
        ordered = wanted[order]
        for run in np.split(np.arange(len(ordered)), np.flatnonzero(np.diff(ordered) != 1) + 1):
            first, count = int(ordered[run[0]]), len(run)
            data = os.pread(self._fd, count * self._row_bytes, self.offset + first * self._row_bytes)
            out[order[run]] = np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])
        return out

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


def mapped(path: Path) -> np.ndarray:
    """A saved array, memory-mapped read-only, as a plain ndarray (numpy.memmap's indexing costs more per call)."""
    with path.open("rb") as handle:
        version = np.lib.format.read_magic(handle)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = header(handle)
        offset = handle.tell()
        buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset, order="F" if fortran else "C")


def _read(path: Path) -> faiss.Index:
    """A saved graph, its vectors memory-mapped from the file rather than read into memory."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)


def _storage(index: faiss.Index) -> np.ndarray:
    """The float32 vectors a flat-storage graph holds, as a read-only array over its memory (no copy).

    The array does not keep the index alive: the VectorStore holds both."""
    import faiss

    flat: Any = faiss.downcast_index(index.storage)  # type: ignore[attr-defined]
    view = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    view.flags.writeable = False
    return view
