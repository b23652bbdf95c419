"""Suggested metadata for untagged items: type, stages and roles, each with a confidence.

Two sources of evidence, both read from the library itself:

- *neighbours*: the items that are tagged. An untagged item takes the tags of the tagged items
  closest to it (mean vectors), weighted by similarity - a library's own tagging habits;
- *descriptions*: a sentence describing each value (indexer/data/label_descriptions.yaml), compared
  with the item's mean vector - for libraries where nothing is tagged yet.

Scores per value are turned into a confidence with a softmax over the values (temperature
`SHARPNESS`), mixing the two sources by how many tagged neighbours there are. A suggestion is only
a suggestion: it goes to a file a content team reviews (`recommender audit --suggest FILE`) and
applies (`recommender apply-metadata FILE`); nothing here changes content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import yaml

from indexer.embed import Embedder
from indexer.store import IndexSnapshot
from indexer.vocabulary import STAGES, TYPES, Vocabulary

NEIGHBOURS = 5
SHARPNESS = 20.0  # softmax temperature over cosine similarities (0.05 of cosine ~ e in odds)
ENOUGH_TAGGED = 10  # with this many tagged items, neighbours count as much as descriptions
MULTI_AT = 0.35  # stages and roles: every value at this confidence or more is suggested (at most two)
Field = Literal["type", "stages", "roles"]


@dataclass(frozen=True)
class Suggestion:
    value: str
    confidence: float


@dataclass(frozen=True)
class ItemSuggestions:
    doc: int
    type: Suggestion | None
    stages: tuple[Suggestion, ...]
    roles: tuple[Suggestion, ...]


def descriptions() -> dict[str, dict[str, str]]:
    text = resources.files("indexer").joinpath("data/label_descriptions.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {field: dict(values) for field, values in data.items()}


def suggest(
    snapshot: IndexSnapshot, doc_vectors: np.ndarray, embedder: Embedder, vocabulary: Vocabulary
) -> list[ItemSuggestions]:
    """Suggestions for every item missing a type, stages or roles (only for what it misses)."""
    wanted = [d for d in range(len(snapshot.documents)) if _missing(snapshot, d)]
    return [
        _only_missing(snapshot, found) for found in suggest_for(snapshot, doc_vectors, embedder, vocabulary, wanted)
    ]


def _only_missing(snapshot: IndexSnapshot, found: ItemSuggestions) -> ItemSuggestions:
    meta = snapshot.documents[found.doc].meta
    return ItemSuggestions(
        found.doc,
        found.type if meta.type == "unknown" else None,
        () if meta.stages else found.stages,
        () if meta.roles else found.roles,
    )


def suggest_for(
    snapshot: IndexSnapshot, doc_vectors: np.ndarray, embedder: Embedder, vocabulary: Vocabulary, wanted: Sequence[int]
) -> list[ItemSuggestions]:
    """Type, stages and roles for the items `wanted`, judged as if they had none (their own tags are not used)."""
    if not wanted:
        return []
    labels: dict[Field, list[str]] = {
        "type": list(TYPES),
        "stages": list(STAGES),
        "roles": list(vocabulary.roles.values),
    }
    texts = descriptions()
    prototypes = {
        field: embedder.embed([texts.get(field, {}).get(v, v.replace("-", " ")) for v in values])
        for field, values in labels.items()
    }
    out = []
    for doc in wanted:
        scores = {
            field: _scores(snapshot, doc_vectors, doc, field, labels[field], prototypes[field]) for field in labels
        }
        out.append(
            ItemSuggestions(
                doc=doc,
                type=_single(labels["type"], scores["type"]),
                stages=_several(labels["stages"], scores["stages"]),
                roles=_several(labels["roles"], scores["roles"]),
            )
        )
    return out


def _missing(snapshot: IndexSnapshot, doc: int) -> bool:
    meta = snapshot.documents[doc].meta
    return meta.type == "unknown" or not meta.stages or not meta.roles


def _scores(
    snapshot: IndexSnapshot,
    doc_vectors: np.ndarray,
    doc: int,
    field: Field,
    values: Sequence[str],
    prototypes: np.ndarray,
) -> np.ndarray:
    described = _softmax(doc_vectors[doc] @ prototypes.T)
    tagged = [d for d in range(len(snapshot.documents)) if d != doc and _tags(snapshot, d, field)]
    if not tagged:
        return described
    sims = doc_vectors[tagged] @ doc_vectors[doc]
    nearest = np.argsort(-sims)[:NEIGHBOURS]
    votes = np.zeros(len(values))
    for i in nearest:
        for tag in _tags(snapshot, tagged[i], field):
            if tag in values:
                votes[list(values).index(tag)] += np.exp(SHARPNESS * sims[i])
    share = min(len(tagged) / ENOUGH_TAGGED, 1.0) * 0.5
    neighbours = votes / votes.sum() if votes.sum() else described
    return (1 - share) * described + share * neighbours


def _tags(snapshot: IndexSnapshot, doc: int, field: Field) -> tuple[str, ...]:
    meta = snapshot.documents[doc].meta
    if field == "type":
        return (meta.type,) if meta.type != "unknown" else ()
    return meta.stages if field == "stages" else meta.roles


def _softmax(sims: np.ndarray) -> np.ndarray:
    weights = np.exp(SHARPNESS * (sims - sims.max()))
    return weights / weights.sum()


def _single(values: Sequence[str], scores: np.ndarray) -> Suggestion:
    best = int(np.argmax(scores))
    return Suggestion(values[best], round(float(scores[best]), 2))


def _several(values: Sequence[str], scores: np.ndarray) -> tuple[Suggestion, ...]:
    order = [int(i) for i in np.argsort(-scores)]
    chosen = [i for i in order[:2] if scores[i] >= MULTI_AT] or order[:1]
    return tuple(Suggestion(values[i], round(float(scores[i]), 2)) for i in chosen)
