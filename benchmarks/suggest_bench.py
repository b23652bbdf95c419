"""How good are metadata suggestions? `python -m benchmarks.suggest_bench`.

Leave-one-out on the tagged items of the sample library: each item's type, stages and roles are
suggested as if it had none (neighbours exclude the item itself) and compared with its real tags.
Reported: type accuracy, and precision / recall of the suggested stages and roles, overall and
for suggestions at or above each confidence. Results: benchmarks/results/suggest.json.
"""

from __future__ import annotations

import json

from benchmarks.calibrate_gaps import LIBRARIES, ROOT, TODAY, default_encoder, index_of
from indexer.settings import Settings
from recommender.audit.suggest import suggest_for
from recommender.duplicates import document_vectors
from recommender.service import Recommender

CONFIDENCE = (0.0, 0.5, 0.7)


def main() -> None:
    embedder = default_encoder()
    library = LIBRARIES[0]
    recommender = Recommender.open(Settings(index=index_of(library, embedder)), embedder=embedder, today=lambda: TODAY)
    snapshot = recommender.snapshot
    tagged = [
        d
        for d, doc in enumerate(snapshot.documents)
        if doc.meta.type != "unknown" and doc.meta.stages and doc.meta.roles
    ]
    found = suggest_for(
        snapshot, document_vectors(snapshot, recommender.retriever.matrix), embedder, recommender.vocabulary, tagged
    )
    result = {"library": library.name, "items": len(tagged), "by_confidence": {}}
    for floor in CONFIDENCE:
        types = [
            (f.type.value == snapshot.documents[f.doc].meta.type)
            for f in found
            if f.type and f.type.confidence >= floor
        ]
        row = {"type_accuracy": _share(types), "type_suggested": len(types)}
        for field in ("stages", "roles"):
            pairs = [
                (s.value in getattr(snapshot.documents[f.doc].meta, field))
                for f in found
                for s in getattr(f, field)
                if s.confidence >= floor
            ]
            actual = sum(len(getattr(snapshot.documents[f.doc].meta, field)) for f in found)
            row[f"{field}_precision"] = _share(pairs)
            row[f"{field}_recall"] = round(sum(pairs) / actual, 3) if actual else 0.0
        result["by_confidence"][str(floor)] = row
        print(f"confidence >= {floor}: {row}")
    (ROOT / "benchmarks" / "results" / "suggest.json").write_text(json.dumps(result, indent=2), encoding="utf-8")


def _share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


if __name__ == "__main__":
    main()
