"""A seeded synthetic library - content AND vectors - for the scale benchmark (10k, 100k, 1M pieces).

    python -m benchmarks.synthetic_library --pieces 10000 --seed 7 [--markdown OUT_DIR]

Embedding 1M pieces takes about a day on two cores, so the vectors are generated with the text
instead of embedded. They imitate all-MiniLM-L6-v2 the way benchmarks/scale_bench.py does: 384-d,
L2-normalised, a direction every vector shares, topics of ~200 pieces, subtopics of ~15 within
them and per-piece noise, with the same weights (tuned there so nearest-neighbour statistics come
close to real SciFact vectors). A document has one topic; each of its 2-4 sections one subtopic of
it. The text follows the vectors: every topic and subtopic has its own pseudo-words (built from
syllables, nothing downloaded) woven into generic business clauses, so keyword and dense search
agree on topic as in a real library. Pieces are 40-120 words in 2-4 sentences; a sentence's vector
lies near its piece's. Metadata is drawn from the default vocabulary: a mostly internal library,
~5% expired, and near-duplicate document pairs planted at a known rate (a copy with light edits
whose piece vectors have cosine > 0.95 with the original's).

Everything is deterministic in the seed (and `today`, which the dates are relative to) and is
generated in chunks of documents, so 1M pieces fit a 24 GB machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from indexer.calibration import unrelated_problems
from indexer.documents import reading_minutes
from indexer.metadata import ContentMeta
from indexer.store import BuildContent, StoredDocument, StoredPiece, StoredSection, StoredSentence
from indexer.vocabulary import INDUSTRIES, ROLES, STAGES, TYPES

DIMENSION = 384
PIECES_PER_TOPIC = 200
PIECES_PER_SUBTOPIC = 15
WEIGHTS = {"common": 0.12, "topic": 0.25, "subtopic": 0.30}  # as benchmarks/scale_bench.py, tuned on SciFact
NOISE = (0.55, 0.95)  # each piece's own noise weight, uniform in this range
SENTENCE_NOISE = (0.5, 0.9)  # a sentence = its piece + this much noise: cosine to the piece ~0.74-0.89
DUPLICATE_NOISE = 0.12  # a planted copy's piece = the original's + this much noise: cosine ~0.99
DUPLICATE_RATE = 0.005  # share of documents that are near-copies of a recent document
DUPLICATE_WINDOW = 64  # a copy's original is one of the previous 64 documents
EXPIRED_SHARE = 0.05
FUTURE_EXPIRY_SHARE = 0.3  # of the rest: an expiry date still ahead
INDUSTRY_SHARE = 0.3
PIECE_WORDS = (40, 120)
PIECE_SENTENCES = (2, 4)
SECTIONS = (2, 4)
MAX_MARKDOWN_PIECES = 50_000
_CHUNK_DOCUMENTS = 1_000
_TOPIC_WORDS, _SUBTOPIC_WORDS = 12, 6
_BUYER_TYPES = tuple(t for t in TYPES if t not in ("battlecard", "playbook"))
_OWNERS = ("ana.ortiz", "ben.okafor", "chen.wei", "dana.levi", "eli.novak", "fay.ahmed", "gus.moreau", "hana.sato")


@dataclass(frozen=True)
class SyntheticLibrary:
    content: BuildContent  # documents, sections, pieces, sentences (issues=()), exactly as a real build
    piece_vectors: np.ndarray  # float32 (pieces, 384), L2-normalised, row i = content.pieces[i]
    sentence_vectors: np.ndarray  # float32 (sentences, 384), normalised, near their piece's vector
    question_vectors: np.ndarray  # float32, one per unrelated_problems() question, far from the library's topics
    planted_duplicates: list[tuple[int, int]]  # (original, copy) document rows
    piece_topics: np.ndarray  # int32 (pieces,): the topic each piece was drawn from
    today: dt.date  # the dates are relative to it: ~5% of documents expired before it


@dataclass(frozen=True)
class SyntheticQuery:
    text: str
    vector: np.ndarray  # float32 (384,)
    topic: int


# ---- vectors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    common: np.ndarray  # (d,) the direction all embeddings share
    topics: np.ndarray  # (topics, d)
    subtopics: np.ndarray  # (subtopics, d)
    topic_of: np.ndarray  # (subtopics,) each topic holds ~PIECES_PER_TOPIC / PIECES_PER_SUBTOPIC subtopics
    by_topic: np.ndarray  # subtopics sorted by topic
    starts: np.ndarray  # (topics + 1,) subtopics of topic t: by_topic[starts[t] : starts[t + 1]]

    def subtopics_of(self, topic: int) -> np.ndarray:
        return self.by_topic[self.starts[topic] : self.starts[topic + 1]]


def _structure(pieces: int, seed: int) -> _Structure:
    rng = np.random.default_rng([seed, 0])
    topics = max(1, pieces // PIECES_PER_TOPIC)
    subtopics = max(topics, pieces // PIECES_PER_SUBTOPIC)
    topic_of = rng.permutation(np.arange(subtopics) % topics)
    by_topic = np.argsort(topic_of, kind="stable")
    return _Structure(
        _normalise(rng.standard_normal((1, DIMENSION), dtype=np.float32))[0],
        _normalise(rng.standard_normal((topics, DIMENSION), dtype=np.float32)),
        _normalise(rng.standard_normal((subtopics, DIMENSION), dtype=np.float32)),
        topic_of,
        by_topic,
        np.searchsorted(topic_of[by_topic], np.arange(topics + 1)),
    )


def _mix(common: np.ndarray, topics: np.ndarray, subtopics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One vector per row of `topics` / `subtopics` (directions), with its own noise."""
    noise = _normalise(rng.standard_normal((len(topics), DIMENSION), dtype=np.float32))
    noise *= rng.uniform(*NOISE, (len(topics), 1)).astype(np.float32)
    mixed = (
        np.sqrt(WEIGHTS["common"]) * common
        + np.sqrt(WEIGHTS["topic"]) * topics
        + np.sqrt(WEIGHTS["subtopic"]) * subtopics
        + noise
    )
    return _normalise(mixed)


def _draw(structure: _Structure, subtopics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    topics = structure.topics[structure.topic_of[subtopics]]
    return _mix(structure.common, topics, structure.subtopics[subtopics], rng)


def _near(vectors: np.ndarray, weight: float | tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Each vector plus normalised noise of `weight` (or a weight uniform in that range), normalised again."""
    noise = _normalise(rng.standard_normal(vectors.shape, dtype=np.float32))
    scale = rng.uniform(*weight, (len(vectors), 1)) if isinstance(weight, tuple) else np.full((len(vectors), 1), weight)
    return _normalise(vectors + noise * scale.astype(np.float32))


def _normalise(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def _questions(structure: _Structure, seed: int) -> np.ndarray:
    """The calibration's unrelated questions: the shared direction, but topics and subtopics of their own."""
    rng = np.random.default_rng([seed, 4])
    count = len(unrelated_problems())
    foreign = _normalise(rng.standard_normal((2 * count, DIMENSION), dtype=np.float32))
    return _mix(structure.common, foreign[:count], foreign[count:], rng)


# ---- words --------------------------------------------------------------------------------------

_SYLLABLES = tuple(c + v for c in "bdfgklmnprtvz" for v in "aiou")  # no e/y endings the English stemmer trims
_CLAUSES = (
    "the {} rollout removed most of the manual {} work",
    "teams that adopt {} report fewer {} errors",
    "our {} service connects to the existing {} stack",
    "finance leaders use {} to see {} risk earlier",
    "a shared {} view keeps every {} owner aligned",
    "the {} module checks each {} entry before approval",
    "we recommend starting with {} before {}",
    "customers measured faster {} cycles after the {} change",
    "this lowers the cost of {} without new {} staff",
    "the {} dashboard shows where {} work is waiting",
    "reviews cover {} data and the {} audit trail",
    "every {} step is logged for the {} team",
    "the group agreed on {} once the {} numbers were clear",
    "most delays come from {} handoffs and unclear {} ownership",
    "a pilot on one {} unit proved the {} gains",
    "the {} plan fits in one quarter for most {} teams",
    "{} replaces spreadsheets for {}",
    "{} matters when {} volume grows",
    "buyers ask how {} handles {}",
    "the {} report explains {} in plain terms",
    "{} cuts {} time",
    "{} needs clean {} data",
    "{} supports {}",
    "auditors trust {} over {}",
)
_JOINERS = ("and", "while", "so", "because", "but", "since")
_CLAUSE_WORDS = sorted((len(c.split()), c) for c in _CLAUSES)
_SHORTEST_CLAUSE = _CLAUSE_WORDS[0][0]
_HEADINGS = ("{S} basics", "How {s} works", "Why {t} {s} matters", "{S} results", "Rolling out {s}", "{S} checklist")
_QUERIES = (
    "how do other teams handle {s} and {t}",
    "we struggle with {t} {s} every month",
    "what does {s} cost for a {t} team",
    "evidence that {s} reduces {t} errors",
    "how long does a {t} {s} rollout take",
)
_EDITS = ("often", "usually", "clearly", "now", "still", "also", "typically", "mostly")


@dataclass(frozen=True)
class _Words:
    """Pseudo-words: 12 per topic (3 syllables), 6 per subtopic (4 syllables); a scrambled bijection, no storage."""

    seed: int

    def topic(self, topic: int) -> list[str]:
        return [self._word(topic * _TOPIC_WORDS + k, 3) for k in range(_TOPIC_WORDS)]

    def subtopic(self, subtopic: int) -> list[str]:
        return [self._word(subtopic * _SUBTOPIC_WORDS + k, 4) for k in range(_SUBTOPIC_WORDS)]

    def _word(self, index: int, syllables: int) -> str:
        n = len(_SYLLABLES) ** syllables  # 52**3 = 140,608 >= 5,000 topics x 12; 52**4 >= 66,667 subtopics x 6
        x = (index * 7_919 + self.seed * 104_729) % n  # 7,919 is prime to 52**k: a bijection of 0..n-1
        out = []
        for _ in range(syllables):
            x, digit = divmod(x, len(_SYLLABLES))
            out.append(_SYLLABLES[digit])
        return "".join(out)


def _sentence(length: int, slots: list[str], topic_words: list[str], r: random.Random) -> str:
    """A sentence of exactly `length` words: generic clauses whose slots hold the section's words."""

    def fill(template: str) -> str:
        return template.format(*(r.choice(slots if r.random() < 0.6 else topic_words) for _ in range(2)))

    parts: list[str] = []
    remaining = length
    while remaining >= _SHORTEST_CLAUSE + (1 if parts else 0):
        budget = remaining - (1 if parts else 0)  # a second clause costs its joining word
        fitting = sum(1 for words, _ in _CLAUSE_WORDS if words <= budget)
        words, template = _CLAUSE_WORDS[r.randrange(fitting)]
        parts.append(fill(template) if not parts else f"{r.choice(_JOINERS)} {fill(template)}")
        remaining -= words + (1 if len(parts) > 1 else 0)
    tail = [r.choice(slots) for _ in range(remaining)]
    if len(tail) > 1:
        tail[0] = "across"
    text = ", ".join(parts) + (" " + " ".join(tail) if tail else "")
    return text[0].upper() + text[1:] + "."


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ---- the plan: how many pieces each document has, which are copies, who may read them ---------------


@dataclass(frozen=True)
class _Plan:
    doc_pieces: list[int]
    copy_of: list[int]  # -1, or the row of the document this one copies
    buyer: np.ndarray  # bool per document
    expired: np.ndarray  # bool per document
    topic: np.ndarray  # per document
    sections: np.ndarray  # per document (at most its pieces)
    picks: np.ndarray  # (documents, SECTIONS[1]) uniform [0, 1): which subtopic of the topic each section takes
    piece_words: np.ndarray  # per piece
    piece_sentences: np.ndarray  # per piece
    doc_start: np.ndarray  # first piece row of each document (+ the end)
    sentence_start: np.ndarray  # first sentence row of each piece (+ the end)


def _plan(pieces: int, *, seed: int, per_document: int, buyer_share: float, topics: int) -> _Plan:
    """Everything that shapes the vectors and the shares, drawn apart from the wording: a change to the clauses
    changes the text only."""
    r = random.Random(seed * 1_000_003 + 1)
    low, high = max(2, per_document // 2), max(2, per_document + per_document // 2)
    counts: list[int] = []
    copy_of: list[int] = []
    remaining = pieces
    while remaining > 0:
        originals = [j for j in range(max(0, len(counts) - DUPLICATE_WINDOW), len(counts)) if copy_of[j] < 0]
        original = r.choice(originals) if originals and r.random() < DUPLICATE_RATE else -1
        n = counts[original] if original >= 0 else r.randint(low, high)
        if original >= 0 and (remaining - n < 0 or remaining - n == 1):  # a copy may not leave a 1-piece tail
            original, n = -1, r.randint(low, high)
        if original < 0 and remaining - n < 2:
            n = remaining
        counts.append(n)
        copy_of.append(original)
        remaining -= n
    rng = np.random.default_rng([seed, 1])
    docs = len(counts)
    doc_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    words = rng.integers(PIECE_WORDS[0], PIECE_WORDS[1] + 1, pieces).astype(np.int16)
    sentences = rng.integers(PIECE_SENTENCES[0], PIECE_SENTENCES[1] + 1, pieces).astype(np.int8)
    topic = rng.integers(0, topics, docs)
    sections = np.minimum(rng.integers(SECTIONS[0], SECTIONS[1] + 1, docs), counts)
    picks = rng.random((docs, SECTIONS[1]))
    for j, o in enumerate(copy_of):
        if o >= 0:
            topic[j] = topic[o]
            for mine, theirs in zip(range(doc_start[j], doc_start[j + 1]), range(doc_start[o], doc_start[o + 1])):
                words[mine], sentences[mine] = words[theirs], sentences[theirs]
    return _Plan(
        counts,
        copy_of,
        _exactly(docs, buyer_share, rng),
        _exactly(docs, EXPIRED_SHARE, rng),
        topic,
        sections,
        picks,
        words,
        sentences,
        doc_start,
        np.concatenate([[0], np.cumsum(sentences, dtype=np.int64)]),
    )


def _exactly(count: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """A mask with round(share x count) True entries at random positions."""
    mask = np.zeros(count, dtype=bool)
    mask[rng.permutation(count)[: round(share * count)]] = True
    return mask


# ---- documents ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    """One document before it is stored: metadata, headings, and the sentences of each piece by section."""

    meta: ContentMeta
    headings: list[str]
    subtopics: list[int]
    sections: list[list[list[str]]]  # section -> piece -> sentences


@dataclass
class _Builder:
    structure: _Structure
    plan: _Plan
    words: _Words
    today: dt.date
    seed: int
    documents: list[StoredDocument] = field(default_factory=list)
    sections: list[StoredSection] = field(default_factory=list)
    pieces: list[StoredPiece] = field(default_factory=list)
    sentences: list[StoredSentence] = field(default_factory=list)
    recent: dict[int, _Draft] = field(default_factory=dict)

    def draft(self, j: int, r: random.Random) -> _Draft:
        o = self.plan.copy_of[j]
        draft = self._copy(j, self.recent[o], r) if o >= 0 else self._fresh(j, r)
        self.recent[j] = draft
        self.recent.pop(j - DUPLICATE_WINDOW - 1, None)
        return draft

    def _fresh(self, j: int, r: random.Random) -> _Draft:
        topic = int(self.plan.topic[j])
        count = self.plan.doc_pieces[j]
        per_section = _split(count, int(self.plan.sections[j]))
        choices = self.structure.subtopics_of(topic)
        subtopics = [int(choices[int(u * len(choices))]) for u in self.plan.picks[j, : len(per_section)]]
        topic_words = self.words.topic(topic)
        piece = int(self.plan.doc_start[j])
        sections: list[list[list[str]]] = []
        for sub, n in zip(subtopics, per_section):
            slots = self.words.subtopic(sub)
            sections.append([])
            for p in range(piece, piece + n):
                lengths = _split(int(self.plan.piece_words[p]), int(self.plan.piece_sentences[p]))
                sections[-1].append([_sentence(length, slots, topic_words, r) for length in lengths])
            piece += n
        headings = [
            r.choice(_HEADINGS).format(s=w, S=w.capitalize(), t=topic_words[0]) for w in self._firsts(subtopics)
        ]
        kind = r.choice(_BUYER_TYPES if self.plan.buyer[j] else TYPES)
        first = self.words.subtopic(subtopics[0])[0]
        title = f"{topic_words[0].capitalize()} {first.capitalize()}: {kind.replace('-', ' ').capitalize()}"
        doc_id = f"{kind}/{topic_words[0]}-{first}-{j:07d}"
        problems = [f"{first} {topic_words[1]} takes too long", f"no clear view of {topic_words[2]} {first}"]
        meta = self._meta(j, doc_id, title, kind, sections[0][0][0], problems[: r.randint(1, 2)], r)
        return _Draft(meta, headings, subtopics, sections)

    def _firsts(self, subtopics: list[int]) -> list[str]:
        return [self.words.subtopic(s)[0] for s in subtopics]

    def _meta(
        self, j: int, doc_id: str, title: str, kind: str, first: str, problems: list[str], r: random.Random
    ) -> ContentMeta:
        updated = self.today - dt.timedelta(days=r.randint(0, 1_000))
        expires = None
        if self.plan.expired[j]:
            expires = self.today - dt.timedelta(days=r.randint(1, 365))
            updated = min(updated, expires - dt.timedelta(days=r.randint(30, 400)))
        elif r.random() < FUTURE_EXPIRY_SHARE:
            expires = self.today + dt.timedelta(days=r.randint(30, 720))
        return ContentMeta.model_validate(
            {
                "id": doc_id,
                "title": title,
                "type": kind,
                "summary": first if len(first) <= 300 else first[:300].rsplit(" ", 1)[0],
                "audience": "buyer" if self.plan.buyer[j] else "internal",
                "audience_given": True,
                "stages": r.sample(STAGES, r.randint(1, 2)),
                "roles": r.sample(ROLES, r.randint(1, 3)),
                "industries": [r.choice(INDUSTRIES)] if r.random() < INDUSTRY_SHARE else [],
                "problems": problems,
                "updated": updated,
                "expires": expires,
                "owner": r.choice(_OWNERS),
                "url": f"https://content.example.com/{doc_id}",
            }
        )

    def _copy(self, j: int, original: _Draft, r: random.Random) -> _Draft:
        """The original with light edits: a word changed in some sentences, '(revised)' in the title, its own dates."""
        sections = [[[_edit(s, r) for s in piece] for piece in section] for section in original.sections]
        kind, rest = original.meta.id.split("/", 1)
        doc_id = f"{kind}/{rest.rsplit('-', 1)[0]}-{j:07d}"
        own = self._meta(j, doc_id, original.meta.title, kind, sections[0][0][0], list(original.meta.problems), r)
        keep = original.meta.model_dump(include={"type", "stages", "roles", "industries", "problems"})
        meta = ContentMeta.model_validate(own.model_dump() | keep | {"title": f"{original.meta.title} (revised)"})
        return _Draft(meta, list(original.headings), list(original.subtopics), sections)

    def store(self, j: int, draft: _Draft) -> None:
        texts = [[" ".join(piece) for piece in section] for section in draft.sections]
        markdown, lines = render(draft.meta, list(zip(draft.headings, texts)))
        total = 0
        for heading, line, section, section_texts in zip(draft.headings, lines, draft.sections, texts):
            text = "\n".join(section_texts)
            words = len(text.split())
            total += words
            self.sections.append(
                StoredSection(j, heading, (draft.meta.title, heading), 2, line, words, reading_minutes(words), text)
            )
            row = len(self.sections) - 1
            for piece, piece_text in zip(section, section_texts):
                self.pieces.append(StoredPiece(j, row, piece_text))
                p = len(self.pieces) - 1
                self.sentences.extend(StoredSentence(row, p, p, s) for s in piece)
        digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
        self.documents.append(StoredDocument(draft.meta, draft.meta.id + ".md", digest, total, reading_minutes(total)))


def _edit(sentence: str, r: random.Random) -> str:
    """Half the sentences get one inner word replaced by a filler word; the word count stays."""
    words = sentence.split(" ")
    candidates = [i for i in range(1, len(words) - 1) if words[i].isalpha()]
    if candidates and r.random() < 0.5:
        words[r.choice(candidates)] = r.choice(_EDITS)
    return " ".join(words)


def render(meta: ContentMeta, sections: list[tuple[str, list[str]]]) -> tuple[str, list[int]]:
    """A document's markdown (front matter, '# title', a '## heading' per section, a paragraph per piece), and the
    line of each section heading."""
    fields: dict[str, object] = meta.model_dump(
        include={"id", "title", "type", "summary", "audience", "stages", "roles", "industries", "problems"}
    )
    fields |= {"updated": meta.updated, "expires": meta.expires, "owner": meta.owner, "url": meta.url}
    lines = ["---"]
    for key, value in fields.items():
        if value is None or value == ():
            continue
        shown = (
            value.isoformat()
            if isinstance(value, dt.date)
            else json.dumps(list(value) if isinstance(value, tuple) else value)
        )
        lines.append(f"{key}: {shown}")
    lines += ["---", "", f"# {meta.title}", ""]
    heading_lines = []
    for heading, texts in sections:
        heading_lines.append(len(lines) + 1)
        lines += [f"## {heading}", ""]
        for text in texts:
            lines += [text, ""]
    return "\n".join(lines), heading_lines


# ---- the public functions -----------------------------------------------------------------------


def generate(
    pieces: int,
    *,
    seed: int = 7,
    buyer_share: float = 0.1,
    pieces_per_document: int = 10,
    today: dt.date | None = None,
) -> SyntheticLibrary:
    """A library of exactly `pieces` pieces with its vectors; the same arguments give byte-identical output.
    Dates are relative to `today` (default: the current date)."""
    if pieces < 1:
        raise ValueError(f"pieces must be at least 1 (got {pieces})")
    if not 0.0 <= buyer_share <= 1.0:
        raise ValueError(f"buyer_share must be between 0 and 1 (got {buyer_share})")
    if pieces_per_document < 1:
        raise ValueError(f"pieces_per_document must be at least 1 (got {pieces_per_document})")
    structure = _structure(pieces, seed)
    plan = _plan(
        pieces, seed=seed, per_document=pieces_per_document, buyer_share=buyer_share, topics=len(structure.topics)
    )
    today = today or dt.date.today()
    builder = _Builder(structure, plan, _Words(seed), today, seed)
    piece_vectors = np.empty((pieces, DIMENSION), dtype=np.float32)
    sentence_vectors = np.empty((int(plan.sentence_start[-1]), DIMENSION), dtype=np.float32)
    piece_topics = np.empty(pieces, dtype=np.int32)
    for start in range(0, len(plan.doc_pieces), _CHUNK_DOCUMENTS):
        _chunk(builder, range(start, min(start + _CHUNK_DOCUMENTS, len(plan.doc_pieces))), piece_vectors, piece_topics)
    _sentence_vectors(piece_vectors, plan, sentence_vectors, seed)
    content = BuildContent(builder.documents, builder.sections, builder.pieces, (), builder.sentences)
    duplicates = [(o, j) for j, o in enumerate(plan.copy_of) if o >= 0]
    return SyntheticLibrary(
        content, piece_vectors, sentence_vectors, _questions(structure, seed), duplicates, piece_topics, today
    )


def _chunk(builder: _Builder, docs: range, piece_vectors: np.ndarray, piece_topics: np.ndarray) -> None:
    """Draft and store the documents `docs`, and write their pieces' vectors."""
    plan, structure = builder.plan, builder.structure
    r = random.Random(builder.seed * 1_000_003 + 2 + docs.start)
    rng = np.random.default_rng([builder.seed, 2, docs.start])
    first, end = int(plan.doc_start[docs.start]), int(plan.doc_start[docs.stop])
    subtopics = np.empty(end - first, dtype=np.int64)
    for j in docs:
        draft = builder.draft(j, r)
        builder.store(j, draft)
        per_section = [len(section) for section in draft.sections]
        rows = slice(int(plan.doc_start[j]) - first, int(plan.doc_start[j + 1]) - first)
        subtopics[rows] = np.repeat(draft.subtopics, per_section)
    piece_vectors[first:end] = _draw(structure, subtopics, rng)
    piece_topics[first:end] = structure.topic_of[subtopics]
    for j in docs:
        o = plan.copy_of[j]
        if o >= 0:
            mine = slice(int(plan.doc_start[j]), int(plan.doc_start[j + 1]))
            theirs = piece_vectors[int(plan.doc_start[o]) : int(plan.doc_start[o + 1])]
            piece_vectors[mine] = _near(theirs, DUPLICATE_NOISE, rng)


def _sentence_vectors(piece_vectors: np.ndarray, plan: _Plan, out: np.ndarray, seed: int) -> None:
    step = _CHUNK_DOCUMENTS * 10
    for start in range(0, len(piece_vectors), step):
        stop = min(start + step, len(piece_vectors))
        rng = np.random.default_rng([seed, 5, start])
        rows = slice(int(plan.sentence_start[start]), int(plan.sentence_start[stop]))
        out[rows] = _near(
            np.repeat(piece_vectors[start:stop], plan.piece_sentences[start:stop], axis=0), SENTENCE_NOISE, rng
        )


def queries(library_pieces: int, count: int, *, seed: int = 7) -> list[SyntheticQuery]:
    """`count` queries drawn like the pieces of `generate(library_pieces, seed=seed)` (same topics, subtopics and
    words), never copies of them."""
    structure, words = _structure(library_pieces, seed), _Words(seed)
    rng = np.random.default_rng([seed, 3])
    r = random.Random(seed * 1_000_003 + 3)
    subtopics = rng.integers(0, len(structure.subtopics), count)
    vectors = _draw(structure, subtopics, rng)
    out = []
    for sub, vector in zip(subtopics, vectors):
        topic = int(structure.topic_of[sub])
        text = r.choice(_QUERIES).format(s=r.choice(words.subtopic(int(sub))), t=r.choice(words.topic(topic)))
        out.append(SyntheticQuery(text, vector, topic))
    return out


def write_markdown(library: SyntheticLibrary, folder: Path) -> None:
    """One markdown file per document under `folder` (new or empty), which `recommender index` reads back as the
    same content."""
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(
            f"{folder} is not empty; write the library to a new or empty folder, so no other file is indexed with it"
        )
    content = library.content
    by_doc: list[list[tuple[str, list[str]]]] = [[] for _ in content.documents]
    by_section: list[list[str]] = [[] for _ in content.sections]
    for piece in content.pieces:
        by_section[piece.section].append(piece.text)
    for row, section in enumerate(content.sections):
        by_doc[section.doc].append((section.heading, by_section[row]))
    for document, sections in zip(content.documents, by_doc):
        path = folder / document.rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document.meta, sections)[0], encoding="utf-8")


def neighbour_statistics(vectors: np.ndarray, probes: np.ndarray, *, seed: int = 0) -> dict[str, float]:
    """The statistics benchmarks/scale_bench.py matched to real SciFact vectors: the mean cosine of random pairs,
    of each probe's 1st / 10th / 100th nearest neighbour, and the gap between its 10th and 11th."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(vectors), (2, 10_000))
    pairs = float(np.mean(np.einsum("ij,ij->i", vectors[a], vectors[b])))
    k = min(101, len(vectors))
    top = np.vstack([_top(batch @ vectors.T, k) for batch in np.array_split(probes, max(1, len(probes) // 10))])
    out = {"random_pairs": pairs, "1st": float(top[:, 0].mean()), "10th": float(top[:, min(9, k - 1)].mean())}
    if k == 101:
        out |= {"100th": float(top[:, 99].mean()), "gap_10_11": float((top[:, 9] - top[:, 10]).mean())}
    return {key: round(value, 3) for key, value in out.items()}


def _top(similarities: np.ndarray, k: int) -> np.ndarray:
    """The `k` largest values of each row, largest first."""
    return -np.sort(np.partition(-similarities, k - 1, axis=1)[:, :k], axis=1)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB of 10^6 bytes (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)


# ---- the command --------------------------------------------------------------------------------


def main(
    pieces: int = typer.Option(10_000, help="Pieces in the library."),
    seed: int = typer.Option(7, help="Seed: the same seed gives the same library."),
    buyer_share: float = typer.Option(0.1, help="Share of documents marked 'audience: buyer'."),
    pieces_per_document: int = typer.Option(10, help="Mean pieces per document."),
    markdown: Path | None = typer.Option(
        None, help=f"Write the library as markdown here (up to {MAX_MARKDOWN_PIECES:,} pieces)."
    ),
    stats: bool = typer.Option(True, help="Measure nearest-neighbour statistics with 200 queries."),
) -> None:
    """Generate a synthetic library (content and vectors) and print what it holds."""
    console, errors = Console(), Console(stderr=True)
    if markdown is not None and pieces > MAX_MARKDOWN_PIECES:
        errors.print(
            f"[red]Refused:[/red] --markdown writes at most {MAX_MARKDOWN_PIECES:,} pieces (asked for {pieces:,}); "
            "a larger library is meant to be used in memory (benchmarks.synthetic_library.generate). "
            "Lower --pieces or drop --markdown."
        )
        raise typer.Exit(2)
    started = time.perf_counter()
    try:
        library = generate(pieces, seed=seed, buyer_share=buyer_share, pieces_per_document=pieces_per_document)
    except ValueError as exc:
        errors.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(2) from exc
    seconds = time.perf_counter() - started
    try:
        if markdown is not None:
            write_markdown(library, markdown)
    except ValueError as exc:
        errors.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(2) from exc
    probes = np.stack([q.vector for q in queries(pieces, 200, seed=seed)]) if stats else None
    console.print(_summary(library, seconds, markdown, probes))


def _summary(library: SyntheticLibrary, seconds: float, markdown: Path | None, probes: np.ndarray | None) -> Table:
    content = library.content
    docs = max(1, len(content.documents))
    vector_bytes = library.piece_vectors.nbytes + library.sentence_vectors.nbytes
    table = Table("", "value", title=f"Synthetic library of {len(content.pieces):,} pieces", show_header=False)
    rows = {
        "documents": f"{len(content.documents):,}",
        "sections": f"{len(content.sections):,}",
        "pieces": f"{len(content.pieces):,}",
        "sentences": f"{len(content.sentences):,}",
        "buyer share": f"{sum(d.meta.audience == 'buyer' for d in content.documents) / docs:.1%}",
        "expired share": f"{sum(d.meta.is_expired(library.today) for d in content.documents) / docs:.1%}",
        "planted duplicates": f"{len(library.planted_duplicates):,} pairs",
        "vectors MB (pieces + sentences)": f"{vector_bytes / 1e6:,.0f}",
        "seconds to generate": f"{seconds:.1f}",
        "peak RSS MB": f"{peak_rss_mb():,.0f}",
    }
    if probes is not None:
        rows["neighbour statistics (200 queries)"] = json.dumps(neighbour_statistics(library.piece_vectors, probes))
    if markdown is not None:
        rows["markdown"] = f"{len(content.documents):,} files under {markdown}"
    for name, value in rows.items():
        table.add_row(name, value)
    return table


if __name__ == "__main__":
    typer.run(main)
