"""The suggested-metadata file: written by the audit, reviewed by a person, applied to the content.

    # Suggested metadata for 211 items ...
    - path: sales/tools/common_customer_questions.md
      id: sales/tools/common_customer_questions
      title: Common customer questions
      apply: true                      # set to false to skip this item
      set:                             # edit freely; only keys the file lacks are ever written
        type: faq                      # confidence 0.61
        stages: [requirements-building, supplier-selection]
        roles: [cio]

`apply_file` adds the `set` keys an item's front matter lacks - never overwriting a key that is
there - by inserting lines before the closing `---` (or a new front matter block at the top), so
the rest of the file, comments included, is left byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from indexer.errors import RecommenderError
from indexer.parse import read_front_matter
from recommender.audit.suggest import ItemSuggestions, suggest
from recommender.service import Recommender

_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.S | re.M)


@dataclass(frozen=True)
class SuggestionsFile:
    text: str
    items: int


@dataclass(frozen=True)
class Applied:
    path: str
    keys: tuple[str, ...]


def suggestions_file(recommender: Recommender) -> SuggestionsFile:
    snapshot = recommender.snapshot
    found = suggest(
        snapshot,
        snapshot.document_vectors,
        recommender.retriever.embedder,
        recommender.vocabulary,
    )
    entries = [_entry(recommender, s) for s in found]
    sources = ", ".join(snapshot.manifest.sources)
    header = (
        f"# Suggested metadata for {len(entries)} item(s) of {sources}, from `recommender audit --suggest`.\n"
        "# Each value comes with its confidence. Review: edit `set`, or set `apply: false` to skip an item.\n"
        "# Then: recommender apply-metadata THIS_FILE --library FOLDER (only keys an item lacks are written).\n"
        "# `audience` is never suggested: whether a buyer may see an item is a person's decision.\n"
    )
    return SuggestionsFile(
        header + (yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=120) if entries else "[]\n"),
        len(entries),
    )


def _entry(recommender: Recommender, found: ItemSuggestions) -> dict[str, Any]:
    document = recommender.snapshot.documents[found.doc]
    values: dict[str, Any] = {}
    confidence: dict[str, Any] = {}
    if found.type is not None:
        values["type"], confidence["type"] = found.type.value, found.type.confidence
    for field in ("stages", "roles"):
        chosen = getattr(found, field)
        if chosen:
            values[field] = [s.value for s in chosen]
            confidence[field] = [s.confidence for s in chosen]
    return {
        "path": document.rel_path,
        "id": document.meta.id,
        "title": document.meta.title,
        "apply": True,
        "set": values,
        "confidence": confidence,
    }


MIN_CONFIDENCE = 0.5  # below this, type was right 31% and stages 65% of the time (benchmarks/results/suggest.json)


def apply_file(path: Path, library: Path, *, min_confidence: float = MIN_CONFIDENCE) -> list[Applied]:
    """Write the reviewed suggestions into the library's files; returns what was added where.

    A value whose confidence (as the file states it) is below `min_confidence` is skipped; a value
    a reviewer added or changed without a confidence is applied.
    """
    entries = _read(path)
    out = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "path" not in entry or not isinstance(entry.get("set", {}), dict):
            raise RecommenderError(
                f"{path}: entry {number} is not a suggestion with 'path' and 'set'",
                hint="Regenerate the file with 'recommender audit --suggest'.",
            )
        if entry.get("apply", True) is False or not entry.get("set"):
            continue
        target = (library / str(entry["path"])).resolve()
        if library.resolve() not in target.parents or not target.is_file():
            raise RecommenderError(
                f"{path}: entry {number} names '{entry['path']}', which is not a file in {library}",
                hint="Give the folder that was indexed with --library.",
            )
        keys = _apply(target, _confident(entry["set"], entry.get("confidence") or {}, min_confidence))
        if keys:
            out.append(Applied(str(entry["path"]), keys))
    return out


def _confident(values: dict[str, Any], confidence: dict[str, Any], floor: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        sure = confidence.get(key)
        if isinstance(value, list) and isinstance(sure, list) and len(sure) == len(value):
            kept = [v for v, c in zip(value, sure) if _number(c) >= floor]
            if kept:
                out[key] = kept
        elif sure is None or isinstance(sure, list) or _number(sure) >= floor:
            out[key] = value
    return out


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 1.0


def _read(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecommenderError(
            f"cannot read the suggestions file {path}: {exc}", hint="Give the file 'recommender audit --suggest' wrote."
        ) from exc
    if not isinstance(data, list):
        raise RecommenderError(
            f"{path} is not a list of suggestions", hint="Give the file 'recommender audit --suggest' wrote."
        )
    return data


def _apply(target: Path, values: dict[str, Any]) -> tuple[str, ...]:
    text = target.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    present = _keys(match.group(1), target) if match else set()
    new = {k: v for k, v in values.items() if k not in present and v not in (None, "", [])}
    if not new:
        return ()
    lines = yaml.safe_dump(new, sort_keys=False, default_flow_style=None, allow_unicode=True)
    updated = text[: match.end(1)] + lines + text[match.end(1) :] if match else f"---\n{lines}---\n\n{text}"
    temporary = target.with_name(f".{target.name}.metadata-tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(target)  # atomic: a crash leaves the old file or the new one, never half of one
    return tuple(new)


def _keys(front: str, target: Path) -> set[str]:
    data, issues = read_front_matter(front, str(target))
    if issues:
        raise RecommenderError(
            f"the front matter of {target} cannot be read: {issues[0].what}",
            hint="Fix its front matter first; 'recommender index' reports where.",
        )
    return set(data)
