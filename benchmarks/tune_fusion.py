"""Choose the hybrid search defaults on SciFact's *train* split: `python -m benchmarks.tune_fusion`.

The test split is never read here. For each setting the product's own eval path runs
(`recommender.evaluation.evaluate`: the corpus indexed by the indexer, searched by the retriever)
on the 809 train queries and nDCG@10 is recorded:

- fusion: convex combination (dense weight alpha 0.3-0.8) or reciprocal rank fusion (k 10, 60),
  with 100 / 200 / 400 candidates from each list;
- keyword analysis: English stemming or none, BM25 k1 / b, with the best fusion;
- the title and heading path in each piece, or not.

The chosen fusion is the cheapest setting (fewest candidates, then the earlier in the grid) whose
hybrid nDCG@10 on train is within TIE (0.001, noise on 809 queries) of the best; it lives in
recommender/retriever.py (FusionConfig); the keyword analysis (indexer/keyword.py, KeywordConfig)
is then compared with that fusion. Results:
benchmarks/results/tuning_scifact_train.json. Indexes are cached under .recommender/tuning/.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from rich.console import Console

from indexer.build import BuildOptions
from indexer.embed import Embedder
from indexer.encoders import indexing_encoder
from indexer.keyword import KeywordConfig
from indexer.settings import Settings
from recommender.evaluation import evaluate
from recommender.retriever import FusionConfig

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "evaldata" / "scifact"
CACHE = ROOT / ".recommender" / "tuning" / "scifact"
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
CANDIDATES = (100, 200, 400)
RRF_K = (10, 60)
TIE = 0.001
KEYWORDS = (
    KeywordConfig(),
    KeywordConfig(stemmer=None),
    KeywordConfig(b=0.75),
    KeywordConfig(k1=1.2),
)


def run(
    embedder: Embedder,
    fusion: FusionConfig,
    *,
    keyword: KeywordConfig = KeywordConfig(),
    title_in_pieces: bool = True,
    methods: tuple = ("hybrid",),
) -> dict:
    started = time.perf_counter()
    build = BuildOptions(index=Path(), keyword=keyword, title_in_pieces=title_in_pieces)
    # one cache folder: an option change rebuilds the index but embeds only texts it has not seen
    report = evaluate(
        SCIFACT, embedder=embedder, cache=CACHE, split="train", methods=methods, fusion=fusion, build=build
    )
    return {
        "settings": {"keyword": asdict(keyword), "title_in_pieces": title_in_pieces, "fusion": asdict(fusion)},
        "scores": {m: report.methods[m].model_dump(by_alias=True) for m in methods},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "tuning_scifact_train.json")
    args = parser.parse_args()
    console = Console(stderr=True)
    embedder = indexing_encoder(Settings(), exports=CACHE / "exports")
    fusion_grid = [FusionConfig(method="convex", alpha=a, candidates=c) for a in ALPHAS for c in CANDIDATES]
    fusion_grid += [FusionConfig(method="rrf", rrf_k=k, candidates=c) for k in RRF_K for c in CANDIDATES[:2]]
    fusions = []
    for fusion in fusion_grid:
        fusions.append(
            run(embedder, fusion, methods=("dense", "keyword", "hybrid") if fusion == fusion_grid[0] else ("hybrid",))
        )
        console.print(f"{fusion}: hybrid nDCG@10 {fusions[-1]['scores']['hybrid']['ndcg@10']:.4f}")
    top = max(r["scores"]["hybrid"]["ndcg@10"] for r in fusions)
    best = min(
        (r for r in fusions if r["scores"]["hybrid"]["ndcg@10"] >= top - TIE),
        key=lambda r: r["settings"]["fusion"]["candidates"],
    )  # min keeps the first of equals
    chosen = FusionConfig(**best["settings"]["fusion"])
    keywords = [run(embedder, chosen, keyword=k, methods=("keyword", "hybrid")) for k in KEYWORDS]
    for row in keywords:
        k = row["settings"]["keyword"]
        console.print(
            f"k1 {k['k1']} b {k['b']} stemmer {k['stemmer']}: keyword {row['scores']['keyword']['ndcg@10']:.4f}, "
            f"hybrid {row['scores']['hybrid']['ndcg@10']:.4f}"
        )
    title = run(embedder, chosen, title_in_pieces=False)
    result = {
        "dataset": str(SCIFACT),
        "split": "train",
        "note": (
            "SciFact TRAIN queries only (qrels/train.tsv); the test split is not read. "
            "Produced by python -m benchmarks.tune_fusion."
        ),
        "chosen": {"fusion": best["settings"]["fusion"], "hybrid": best["scores"]["hybrid"]},
        "fusion_grid": fusions,
        "keyword_grid": keywords,
        "title_not_in_pieces": title,
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    console.print(f"chosen: {chosen}; wrote {args.out}")


if __name__ == "__main__":
    main()
