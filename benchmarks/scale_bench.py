"""Scale: vector search on synthetic libraries of 10k, 100k and 1M pieces - exact against HNSW and IVF.

The vectors are GENERATED, not embedded (embedding 1M pieces takes about half a day on two cores).
They imitate all-MiniLM-L6-v2 embeddings: 384 dimensions, L2-normalised, a direction every vector
shares (real sentence embeddings are anisotropic), topics, subtopics within topics, and per-piece
noise of varying strength. The weights were set so the statistics that make nearest-neighbour
search easy or hard come close to real SciFact piece vectors searched with SciFact claims: mean
cosine of random pairs 0.10 (real 0.12), of the query's 1st / 10th / 100th neighbour 0.62 / 0.52 /
0.31 (real 0.63 / 0.48 / 0.36), gap between the 10th and 11th 0.012 (real 0.006). Queries are drawn
like pieces, never copied from the library. `real_index` repeats the measurement on the vectors
of a real index, with held-out pieces as queries.

For each size: exact search (IndexFlatIP) is the reference; recall@10 of each approximate setting
is the mean share of the exact top 10 it returns. Latency is one query at a time, as the product
searches, medians over rounds with the settings interleaved within each round. Memory is what a
fresh process gains by loading the saved index.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from indexer import vectors as production
from indexer.store import current_build
from indexer.vectors import VECTORS

DIMENSION = 384
PIECES_PER_TOPIC = 200
PIECES_PER_SUBTOPIC = 15
WEIGHTS = {"common": 0.12, "topic": 0.25, "subtopic": 0.30}  # squared weights of the shared directions
NOISE = (0.55, 0.95)  # each piece's own noise weight, uniform in this range
K = 10
EF_SEARCH = (16, 32, 64, 128, 256, 512)
NPROBE = (8, 16, 32, 64, 128)
ALLOWED_SHARES = (0.5, 0.1)  # filtered search: the share of pieces a request may see
LATENCY_BUDGET_MS = 10.0  # exact search should cost no more than embedding the query does


@dataclass(frozen=True)
class ScaleRow:
    pieces: int
    index: str  # exact | hnsw | ivf
    setting: str  # e.g. "efSearch=64"
    build_seconds: float
    p50_ms: float
    p99_ms: float
    recall_at_10: float
    disk_mb: float
    memory_mb: float


@dataclass(frozen=True)
class _Structure:
    common: np.ndarray  # (d,) the direction all embeddings share (sentence embeddings are anisotropic)
    topics: np.ndarray  # (topics, d)
    subtopics: np.ndarray  # (subtopics, d)
    topic_of: np.ndarray  # (subtopics,) the topic each subtopic belongs to


def _structure(n: int, seed: int) -> _Structure:
    rng = np.random.default_rng(seed)
    topics, subtopics = max(1, n // PIECES_PER_TOPIC), max(1, n // PIECES_PER_SUBTOPIC)
    return _Structure(
        _normalise(rng.standard_normal((1, DIMENSION), dtype=np.float32))[0],
        _normalise(rng.standard_normal((topics, DIMENSION), dtype=np.float32)),
        _normalise(rng.standard_normal((subtopics, DIMENSION), dtype=np.float32)),
        rng.integers(0, topics, subtopics),
    )


def _draw(structure: _Structure, count: int, rng: np.random.Generator) -> np.ndarray:
    sub = rng.integers(0, len(structure.subtopics), count)
    noise = _normalise(rng.standard_normal((count, DIMENSION), dtype=np.float32)) * rng.uniform(
        *NOISE, (count, 1)
    ).astype(np.float32)
    mixed = (
        np.sqrt(WEIGHTS["common"]) * structure.common
        + np.sqrt(WEIGHTS["topic"]) * structure.topics[structure.topic_of[sub]]
        + np.sqrt(WEIGHTS["subtopic"]) * structure.subtopics[sub]
        + noise
    )
    return _normalise(mixed)


def synthetic_library(n: int, *, seed: int, chunk: int = 100_000) -> np.ndarray:
    """`n` normalised vectors in topics and subtopics, generated in chunks to bound peak memory."""
    structure, rng = _structure(n, seed), np.random.default_rng(seed + 1)
    out = np.empty((n, DIMENSION), dtype=np.float32)
    for start in range(0, n, chunk):
        out[start : start + min(chunk, n - start)] = _draw(structure, min(chunk, n - start), rng)
    return out


def synthetic_queries(n_library: int, count: int, *, seed: int) -> np.ndarray:
    """Queries drawn like pieces of the same library (same structure), but never copies of them."""
    return _draw(_structure(n_library, seed), count, np.random.default_rng(seed + 2))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def measure_size(
    n: int,
    *,
    queries: int = 200,
    rounds: int = 5,
    hnsw_build_budget_s: float = 1800.0,
    ivf: bool = True,
    seed: int = 7,
    log: Callable[[str], None] = print,
) -> list[ScaleRow]:
    """Every index kind on a synthetic library of `n` pieces."""
    return measure(
        synthetic_library(n, seed=seed),
        synthetic_queries(n, queries, seed=seed),
        label=f"{n:,} synthetic pieces",
        rounds=rounds,
        hnsw_build_budget_s=hnsw_build_budget_s,
        ivf=ivf,
        log=log,
    )


def held_out(vectors: np.ndarray, count: int, *, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Real vectors split into a library and `count` held-out pieces used as queries."""
    chosen = np.zeros(len(vectors), dtype=bool)
    chosen[np.random.default_rng(seed).choice(len(vectors), min(count, len(vectors) // 10), replace=False)] = True
    return np.ascontiguousarray(vectors[~chosen]), np.ascontiguousarray(vectors[chosen])


def measure(
    library: np.ndarray,
    probes: np.ndarray,
    *,
    label: str,
    rounds: int,
    hnsw_build_budget_s: float,
    ivf: bool,
    log: Callable[[str], None],
) -> list[ScaleRow]:
    """Exact search as the reference, HNSW with the production build parameters, and IVF, on one library."""
    n = len(library)
    exact = faiss.IndexFlatIP(library.shape[1])
    started = time.perf_counter()
    exact.add(library)
    candidates: list[tuple[str, faiss.Index, float]] = [("exact", exact, time.perf_counter() - started)]
    truth = exact.search(probes, K)[1]
    hnsw, hnsw_build = _build_hnsw(library, budget_s=hnsw_build_budget_s, log=log)
    if hnsw is not None:
        candidates.append(("hnsw", hnsw, hnsw_build))
    if ivf:
        candidates.append(("ivf", *_build_ivf(library)))
    log(f"  {label}: built {', '.join(f'{k} {s:.1f}s' for k, _, s in candidates)}")
    footprints = {kind: _footprint(index) for kind, index, _ in candidates}
    cores = faiss.omp_get_max_threads()
    settings = list(_settings(candidates))
    latencies = _interleaved_latencies(settings, probes, rounds)
    faiss.omp_set_num_threads(cores)
    rows = []
    for (kind, setting, index, build_s, apply), times in zip(settings, latencies):
        apply()
        found = index.search(probes, K)[1]
        rows.append(
            ScaleRow(
                n, kind, setting, round(build_s, 2), *_percentiles(times), _recall(found, truth), *footprints[kind]
            )
        )
    if hnsw is not None:
        for share in ALLOWED_SHARES:
            rows.extend(
                _filtered(
                    exact,
                    hnsw,
                    probes,
                    share,
                    rounds=rounds,
                    builds={k: s for k, _, s in candidates},
                    footprints=footprints,
                )
            )
    faiss.omp_set_num_threads(cores)
    return rows


def _filtered(
    exact: faiss.Index,
    hnsw: faiss.Index,
    probes: np.ndarray,
    share: float,
    *,
    rounds: int,
    builds: dict[str, float],
    footprints: dict[str, tuple[float, float]],
) -> list[ScaleRow]:
    """Search restricted to a random `share` of pieces, as the product restricts a buyer's search to
    buyer-facing items."""
    allowed = np.flatnonzero(np.random.default_rng(11).random(exact.ntotal) < share).astype(np.int64)
    selector = faiss.IDSelectorBatch(allowed)
    label = f"{share:.0%} allowed"
    settings: list[tuple[str, str, faiss.Index, faiss.SearchParameters]] = [
        ("exact", f"1 thread, {label}", exact, faiss.SearchParameters(sel=selector))
    ]  # type: ignore[call-arg]
    settings += [
        ("hnsw", f"efSearch={ef}, {label}", hnsw, faiss.SearchParametersHNSW(sel=selector, efSearch=ef))
        for ef in EF_SEARCH
    ]  # type: ignore[attr-defined]
    faiss.omp_set_num_threads(1)
    truth = exact.search(probes, K, params=settings[0][3])[1]
    times: list[list[np.ndarray]] = [[] for _ in settings]
    for r in range(rounds):
        for i in [*range(r % len(settings), len(settings)), *range(r % len(settings))]:
            times[i].append(_time_queries(settings[i][2], probes, settings[i][3]))
    return [
        ScaleRow(
            exact.ntotal,
            kind,
            setting,
            round(builds[kind], 2),
            *_percentiles(t),
            _recall(index.search(probes, K, params=params)[1], truth),
            *footprints[kind],
        )
        for (kind, setting, index, params), t in zip(settings, times)
    ]


def _build_hnsw(
    library: np.ndarray, *, budget_s: float, log: Callable[[str], None]
) -> tuple[faiss.Index | None, float]:
    """HNSW with the production parameters, added in slices; abandoned when the projected time passes `budget_s`."""
    index = faiss.IndexHNSWFlat(library.shape[1], production.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = production.HNSW_EF_CONSTRUCTION
    started = time.perf_counter()
    step = 50_000
    for start in range(0, len(library), step):
        index.add(library[start : start + step])
        elapsed = time.perf_counter() - started
        projected = elapsed * len(library) / index.ntotal
        if projected > budget_s:
            log(
                f"  HNSW build abandoned after {index.ntotal:,} pieces: {elapsed:.0f}s, "
                f"projected {projected:.0f}s > budget {budget_s:.0f}s"
            )
            return None, projected
    return index, time.perf_counter() - started


def _build_ivf(library: np.ndarray) -> tuple[faiss.Index, float]:
    nlist = min(int(4 * np.sqrt(len(library))), len(library) // 40)  # faiss wants >= 39 training points per list
    quantizer = faiss.IndexFlatIP(library.shape[1])
    index = faiss.IndexIVFFlat(quantizer, library.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    sample = library[np.random.default_rng(0).choice(len(library), min(len(library), 50 * nlist), replace=False)]
    index.train(sample)
    index.add(library)
    return index, time.perf_counter() - started


Setting = tuple[str, str, faiss.Index, float, Callable[[], None]]


def _settings(candidates: Sequence[tuple[str, faiss.Index, float]]) -> Iterator[Setting]:
    """Every setting searched with one FAISS thread; exact search also with all of them, as the product runs it."""
    cores = faiss.omp_get_max_threads()
    for kind, index, build_s in candidates:
        if kind == "exact":
            yield kind, "1 thread", index, build_s, _setter(None, "", 0, threads=1)
            if cores > 1:
                yield kind, f"{cores} threads", index, build_s, _setter(None, "", 0, threads=cores)
        elif kind == "hnsw":
            for ef in EF_SEARCH:
                yield kind, f"efSearch={ef}", index, build_s, _setter(index.hnsw, "efSearch", ef)  # type: ignore[attr-defined]
        else:
            for nprobe in NPROBE:
                yield (
                    kind,
                    f"nlist={faiss.extract_index_ivf(index).nlist} nprobe={nprobe}",
                    index,
                    build_s,
                    _setter(faiss.extract_index_ivf(index), "nprobe", nprobe),
                )


def _setter(target: object, name: str, value: int, *, threads: int = 1) -> Callable[[], None]:
    def apply() -> None:
        faiss.omp_set_num_threads(threads)
        if target is not None:
            setattr(target, name, value)

    return apply


def _interleaved_latencies(settings: Sequence[Setting], probes: np.ndarray, rounds: int) -> list[list[np.ndarray]]:
    """Per setting, one array of per-query milliseconds per round; the settings take turns in each round."""
    out: list[list[np.ndarray]] = [[] for _ in settings]
    for r in range(rounds):
        order = list(range(len(settings)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            _, _, index, _, apply = settings[i]
            apply()
            out[i].append(_time_queries(index, probes))
    return out


def _time_queries(index: faiss.Index, probes: np.ndarray, params: faiss.SearchParameters | None = None) -> np.ndarray:
    times = np.empty(len(probes))
    for i in range(len(probes)):
        query = probes[i : i + 1]
        start = time.perf_counter_ns()
        index.search(query, K, params=params)
        times[i] = (time.perf_counter_ns() - start) / 1e6
    return times


def _percentiles(rounds: Sequence[np.ndarray]) -> tuple[float, float]:
    p50 = float(np.median([np.percentile(t, 50) for t in rounds]))
    p99 = float(np.median([np.percentile(t, 99) for t in rounds]))
    return round(p50, 3), round(p99, 3)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return round(float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)])), 4)


def _footprint(index: faiss.Index) -> tuple[float, float]:
    """Size of the saved index file, and the resident memory a fresh process gains by loading it, in MB."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.faiss"
        faiss.write_index(index, str(path))
        disk = path.stat().st_size / 1e6
        loaded = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, check=True)
    return round(disk, 1), round(float(loaded.stdout.strip()), 1)


_LOAD = """
import sys, faiss
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')) / 1024
before = rss(); index = faiss.read_index(sys.argv[1]); print(rss() - before)
"""


def exact_threshold(rows: Sequence[ScaleRow], budget_ms: float = LATENCY_BUDGET_MS) -> int:
    """Pieces at which exact search's p50 reaches `budget_ms`, from a line fitted through the measured sizes."""
    exact = sorted((r.pieces, r.p50_ms) for r in rows if r.index == "exact" and r.setting == "1 thread")
    sizes, p50 = np.array([e[0] for e in exact], float), np.array([e[1] for e in exact], float)
    slope, intercept = np.polyfit(sizes, p50, 1) if len(exact) > 1 else (p50[0] / sizes[0], 0.0)
    return int((budget_ms - intercept) / slope)


def smallest_ef(rows: Sequence[ScaleRow], *, recall: float = 0.99, share: float | None = None) -> int | None:
    """The smallest efSearch that keeps recall@10 >= `recall` at every measured size (searching a `share`
    of pieces when given)."""
    suffix = f", {share:.0%} allowed" if share is not None else ""
    hnsw = [r for r in rows if r.index == "hnsw"]
    for ef in EF_SEARCH:
        at_ef = [r for r in hnsw if r.setting == f"efSearch={ef}{suffix}"]
        if at_ef and all(r.recall_at_10 >= recall for r in at_ef):
            return ef
    return None


def real_vectors(index_root: Path) -> np.ndarray:
    """The piece vectors of a published index (for a check of the synthetic results on real embeddings)."""
    return np.load(current_build(index_root) / VECTORS, allow_pickle=False)


def run(
    sizes: Sequence[int] = (10_000, 100_000, 1_000_000),
    *,
    queries: int = 200,
    rounds: int = 5,
    hnsw_build_budget_s: float = 1800.0,
    ivf: bool = True,
    real_index: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    rows: list[ScaleRow] = []
    for n in sizes:
        rows.extend(
            measure_size(n, queries=queries, rounds=rounds, hnsw_build_budget_s=hnsw_build_budget_s, ivf=ivf, log=log)
        )
    real: list[ScaleRow] = []
    if real_index is not None:
        library, probes = held_out(real_vectors(real_index), queries)
        real = measure(
            library,
            probes,
            label=f"{len(library):,} real pieces from {real_index}",
            rounds=rounds,
            hnsw_build_budget_s=hnsw_build_budget_s,
            ivf=ivf,
            log=log,
        )
    return {
        "vectors": (
            f"synthetic: {DIMENSION}-d, normalised; a shared direction, "
            f"topics of ~{PIECES_PER_TOPIC} and subtopics of ~{PIECES_PER_SUBTOPIC} pieces, "
            f"squared weights {WEIGHTS}, per-piece noise weight in {NOISE} (see benchmarks/scale_bench.py)"
        ),
        "queries": queries,
        "rounds": rounds,
        "faiss_threads": faiss.omp_get_max_threads(),
        "production": {
            "ANN_THRESHOLD": production.ANN_THRESHOLD,
            "HNSW_M": production.HNSW_M,
            "HNSW_EF_CONSTRUCTION": production.HNSW_EF_CONSTRUCTION,
            "HNSW_EF_SEARCH": production.HNSW_EF_SEARCH,
        },
        "decision": {
            "latency_budget_ms": LATENCY_BUDGET_MS,
            "exact_p50_reaches_budget_at": exact_threshold(rows),
            "smallest_ef_search_for_recall_0_99": smallest_ef(rows),
            "smallest_ef_search_for_recall_0_99_filtered": {
                f"{share:.0%}": smallest_ef(rows, share=share) for share in ALLOWED_SHARES
            },
        },
        "rows": [asdict(r) for r in rows],
        "real_index": str(real_index) if real_index else None,
        "real_rows": [asdict(r) for r in real],
    }
