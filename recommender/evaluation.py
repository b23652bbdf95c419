"""Measure retrieval quality on a test collection in BEIR layout, through the product's own path.

    <dataset>/corpus.jsonl      {"_id", "title", "text"} per line
    <dataset>/queries.jsonl     {"_id", "text"} per line
    <dataset>/qrels/<split>.tsv query-id, corpus-id, score (with a header line)

The corpus is written once as markdown files (front matter `id:`, `# title`, the text) into a
cache folder, indexed with `indexer.build.build_index` - the same code `recommender index` runs -
and searched with `recommender.retriever.Retriever.search_documents`, the search the product
uses. The cache is reused while the corpus, the model and the index options are unchanged.
Metrics are computed by ranx: nDCG@10 (linear gain, as trec_eval), Recall@100 and MRR@10.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import re
import shutil
import string
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from indexer.build import BuildOptions, Progress, build_index
from indexer.embed import Embedder
from indexer.errors import IndexMissingError, RecommenderError
from indexer.store import current_build, load_index
from indexer.vocabulary import Vocabulary
from recommender.retriever import METHODS, FusionConfig, Method, Retriever

log = logging.getLogger(__name__)

METRICS = ("ndcg@10", "recall@100", "mrr@10")
DEPTH = 100  # documents retrieved per query: enough for Recall@100
CACHE_ROOT = Path(".recommender") / "eval"
_FORMAT = 2  # bump when the markdown written for a corpus changes
_INLINE = str.maketrans({c: "\\" + c for c in "\\`*_[]<>&#"})  # what starts markup inside a line
_NUMBERED = re.compile(r"^(\d{1,9})([.)])")  # "1986. ..." would start a numbered list


@dataclass(frozen=True)
class BeirDocument:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class TestCollection:
    """A corpus, the queries judged in one split, and their judgments (query -> doc -> grade)."""

    __test__ = False  # not a pytest class

    name: str
    split: str
    documents: tuple[BeirDocument, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    digest: str  # of the corpus file, so a cached copy is reused only for the same corpus


class MethodScores(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    ndcg_at_10: float = Field(alias="ndcg@10")
    recall_at_100: float = Field(alias="recall@100")
    mrr_at_10: float = Field(alias="mrr@10")


class RunDetails(BaseModel):
    dataset: str
    split: str
    queries: int
    documents: int
    pieces: int
    model: str
    index: str
    index_reused: bool
    pieces_embedded: int
    fusion: dict[str, int | float | str]
    keyword: dict[str, int | float | str | None]
    title_in_pieces: bool
    query_seconds: dict[str, float]
    seconds: float


class EvalReport(BaseModel):
    methods: dict[str, MethodScores]
    run: RunDetails

    def as_json(self) -> dict[str, object]:
        """`{"<method>": {"ndcg@10": ..., "recall@100": ..., "mrr@10": ...}, ..., "run": {...}}`."""
        scores: dict[str, object] = {m: s.model_dump(by_alias=True) for m, s in self.methods.items()}
        return {**scores, "run": self.run.model_dump()}


@dataclass(frozen=True)
class PreparedIndex:
    root: Path
    doc_ids: dict[str, str]  # markdown path (relative to the corpus folder) -> BEIR doc id
    reused: bool
    embedded: int  # pieces this call had to embed (the rest came from the embedding cache)


# ---- reading a collection ------------------------------------------------------------------


def read_collection(folder: Path, *, split: str = "test") -> TestCollection:
    """Read a BEIR-layout folder; only queries with a relevant document in `split` are kept."""
    corpus, queries_file, qrels_file = (
        folder / "corpus.jsonl",
        folder / "queries.jsonl",
        folder / "qrels" / f"{split}.tsv",
    )
    for path in (corpus, queries_file, qrels_file):
        if not path.is_file():
            raise RecommenderError(
                f"{path} is missing; {folder} is not a BEIR-layout collection for split '{split}'",
                hint="Give a folder holding corpus.jsonl, queries.jsonl and qrels/<split>.tsv.",
            )
    documents = tuple(
        BeirDocument(str(r["_id"]), str(r.get("title") or ""), str(r.get("text") or "")) for r in _jsonl(corpus)
    )
    texts = {str(r["_id"]): str(r.get("text") or "") for r in _jsonl(queries_file)}
    qrels = {
        q: judged for q, judged in _qrels(qrels_file).items() if q in texts and any(g > 0 for g in judged.values())
    }
    if not qrels:
        raise RecommenderError(
            f"no query in {qrels_file} has a relevant document and a text in {queries_file}",
            hint="Check the query ids of the two files.",
        )
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()
    return TestCollection(folder.resolve().name, split, documents, {q: texts[q] for q in qrels}, qrels, digest)


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RecommenderError(
                        f"{path}:{number} is not a JSON object ({exc.msg})", hint="Each line must be one JSON object."
                    ) from exc


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split("\t") if "\t" in line else line.split()
        if not fields or (number == 1 and fields[0] == "query-id"):
            continue
        try:
            qrels.setdefault(fields[0], {})[fields[1]] = int(float(fields[2]))
        except (IndexError, ValueError) as exc:
            raise RecommenderError(
                f"{path}:{number} is not 'query-id<TAB>corpus-id<TAB>score'", hint="Fix or remove the line."
            ) from exc
    return qrels


# ---- the corpus as markdown, indexed -------------------------------------------------------


def default_cache(dataset: Path) -> Path:
    """`.recommender/eval/<dataset folder name>` under the working directory."""
    return CACHE_ROOT / dataset.resolve().name


def to_markdown(document: BeirDocument) -> str:
    """One content item, escaped so the indexer reads title and text as written (whitespace collapsed)."""
    title, text = " ".join(document.title.split()), " ".join(document.text.split())
    heading = f"# {_escape(title)}\n\n" if title else ""
    return f"---\nid: {json.dumps(document.id)}\n---\n\n{heading}{_escape(text or title)}\n"


def _escape(line: str) -> str:
    line = line.translate(_INLINE)
    if line[:1] in string.punctuation and not line.startswith("\\"):
        line = "\\" + line  # a block marker such as '-', '>', '+', '=' or '~~~'
    return _NUMBERED.sub(r"\1\\\2", line)


def file_name(doc_id: str) -> str:
    safe = doc_id[:1].isalnum() and len(doc_id) <= 120 and all(c.isalnum() or c in "._-" for c in doc_id)
    return f"{doc_id}.md" if safe and doc_id.isascii() else f"_{hashlib.sha1(doc_id.encode()).hexdigest()[:16]}.md"


def write_corpus(collection: TestCollection, folder: Path) -> dict[str, str]:
    """Write the corpus as markdown under `folder` unless the same corpus is already there."""
    doc_ids = {file_name(d.id): d.id for d in collection.documents}
    stamp = folder.with_name(folder.name + ".json")
    expected = {"format": _FORMAT, "corpus": collection.digest, "documents": len(collection.documents)}
    if folder.is_dir() and _read_json(stamp) == expected:
        return doc_ids
    stamp.unlink(missing_ok=True)  # an interrupted write must never look complete
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for document in collection.documents:
        (folder / file_name(document.id)).write_text(to_markdown(document), encoding="utf-8")
    stamp.write_text(json.dumps(expected), encoding="utf-8")
    return doc_ids


def prepare_index(
    collection: TestCollection,
    *,
    cache: Path,
    embedder: Embedder,
    build: BuildOptions | None = None,
    progress: Progress | None = None,
) -> PreparedIndex:
    """Build (or reuse) the index of the collection's corpus under `cache`.

    `build` sets the index options; its `index` is replaced by `<cache>/index`. A rebuild after an
    option change embeds nothing new unless the piece texts change (the embedding cache).
    """
    cache.mkdir(parents=True, exist_ok=True)
    doc_ids = write_corpus(collection, cache / "corpus")
    root = cache / "index"
    options = (
        replace(build, index=root, sentences=False) if build is not None else BuildOptions(index=root, sentences=False)
    )  # plain retrieval: no answer judging
    stamp = cache / "index.json"
    expected = {
        "corpus": _read_json(cache / "corpus.json"),
        "model": embedder.encoder_id,
        "keyword": options.keyword.as_dict(),
        "title_in_pieces": options.title_in_pieces,
        "overlap_tokens": options.overlap_tokens,
    }
    if _read_json(stamp) == expected and _published(root):
        return PreparedIndex(root, doc_ids, reused=True, embedded=0)
    stamp.unlink(missing_ok=True)
    summary = build_index(
        [cache / "corpus"], options=options, embedder=embedder, vocabulary=Vocabulary(), progress=progress
    )
    stamp.write_text(json.dumps(expected), encoding="utf-8")
    return PreparedIndex(root, doc_ids, reused=False, embedded=summary.pieces_embedded)


def _published(root: Path) -> bool:
    try:
        current_build(root)
    except IndexMissingError:
        return False
    return True


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ---- searching and scoring -----------------------------------------------------------------

Ranking = dict[str, list[str]]  # query id -> document ids, best first


def rank(
    retriever: Retriever,
    collection: TestCollection,
    doc_ids: dict[str, str],
    *,
    method: Method,
    vectors: np.ndarray,
    progress: Progress | None = None,
) -> Ranking:
    """The top `DEPTH` documents of every query; `vectors` are the query embeddings, in query order."""
    by_row = [doc_ids.get(d.rel_path, d.meta.id) for d in retriever.snapshot.documents]
    ranking: Ranking = {}
    if progress is not None:
        progress.phase(f"queries {method}", len(collection.queries))
    for (query_id, text), vector in zip(collection.queries.items(), vectors):
        hits = retriever.search_documents(text, method=method, k=DEPTH, vector=vector)
        ranking[query_id] = [by_row[h.doc] for h in hits]
        if progress is not None:
            progress.advance(1)
    return ranking


def metrics_available() -> None:
    """Refuse at once, before anything is indexed, when the metrics library (the eval extra) is missing."""
    if importlib.util.find_spec("ranx") is None:
        raise RecommenderError(
            "recommender eval needs ranx, which is not installed",
            hint="Install the evaluation extra: pip install 'buyer-content-recommender[eval]' (make install does it).",
        )


def score(qrels: dict[str, dict[str, int]], ranking: Ranking) -> MethodScores:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries, computed by ranx."""
    from ranx import Qrels, Run, evaluate  # imported here: it compiles with numba on first use

    run = {q: {d: float(len(docs) - i) for i, d in enumerate(docs)} for q, docs in ranking.items()}
    run.update({q: {} for q in qrels if q not in run})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter
        values = evaluate(Qrels(qrels), Run({q: run[q] for q in qrels}), list(METRICS))
    assert isinstance(values, dict)
    return MethodScores.model_validate({m: round(float(values[m]), 4) for m in METRICS})


def evaluate(
    dataset: Path,
    *,
    embedder: Embedder,
    cache: Path | None = None,
    split: str = "test",
    methods: Sequence[Method] = METHODS,
    fusion: FusionConfig | None = None,
    build: BuildOptions | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Index the collection at `dataset` (or reuse its cached index) and score each method on `split`."""
    started = time.perf_counter()
    collection = read_collection(dataset, split=split)
    prepared = prepare_index(
        collection, cache=cache or default_cache(dataset), embedder=embedder, build=build, progress=progress
    )
    snapshot = load_index(prepared.root, model_id=embedder.model_id, encoder=embedder.encoder_info)
    retriever = Retriever(snapshot, embedder, fusion)
    vectors = embedder.embed(list(collection.queries.values()), batch_size=32)
    scores: dict[str, MethodScores] = {}
    seconds: dict[str, float] = {}
    for method in methods:
        start = time.perf_counter()
        ranking = rank(retriever, collection, prepared.doc_ids, method=method, vectors=vectors, progress=progress)
        seconds[method] = round(time.perf_counter() - start, 2)
        scores[method] = score(collection.qrels, ranking)
    manifest = snapshot.manifest
    details = RunDetails(
        dataset=str(dataset),
        split=split,
        queries=len(collection.queries),
        documents=manifest.counts.documents,
        pieces=manifest.counts.pieces,
        model=manifest.model.id,
        index=str(prepared.root),
        index_reused=prepared.reused,
        pieces_embedded=prepared.embedded,
        fusion=asdict(retriever.fusion),
        keyword=manifest.keyword,
        title_in_pieces=bool(manifest.chunking.get("title_in_pieces", 1)),
        query_seconds=seconds,
        seconds=round(time.perf_counter() - started, 2),
    )
    return EvalReport(methods=scores, run=details)
