"""The ONNX quality gate: does the ONNX encoder answer as well as sentence-transformers on torch?

    python -m benchmarks.quality_bench [--texts 1000] [--dataset ../shared/evaldata/scifact]

For each ONNX precision (fp32, int8):
- mean (and minimum) cosine between its vectors and the torch vectors of the same texts: the first
  `--texts` SciFact abstracts (title and text, many longer than the model's 256 word pieces);
- SciFact hybrid nDCG@10 on the test split, by `recommender --precision P eval --method hybrid`
  (a subprocess, as a user runs it; the index is cached under .recommender/eval/, so a second run
  embeds nothing);
- the labelled buyer scenarios (tests/data/scenarios.yaml) over the sample corpus indexed with that
  precision: uncovered problems not reported as gaps, covered problems wrongly reported as gaps,
  nDCG@5 - the calibrated gap threshold is the most sensitive consumer of the vectors.
Gates (issue 10): nDCG@10 >= 0.730 and mean cosine >= 0.99; the default precision must also keep
every labelled gap (the scenario test). Torch fp32 reference: nDCG@10 0.7355.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import BuildOptions, build_index
from indexer.embed import load_embedder
from indexer.encoders import DEFAULT_PRECISION, indexing_encoder
from indexer.settings import Precision, Settings
from indexer.vocabulary import Vocabulary
from recommender.service import Recommender

NDCG_GATE = 0.730
COSINE_GATE = 0.99
TORCH_NDCG = 0.7355
EXPORTS = Path(".recommender/bench/encoders")
SCENARIOS = Path("tests/data/scenarios.yaml")
TODAY = dt.date(2026, 11, 27)
PRECISIONS: tuple[Precision, ...] = ("fp32", "int8")


def sample_texts(dataset: Path, count: int) -> list[str]:
    texts = []
    with (dataset / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(f"{record.get('title') or ''}\n{record.get('text') or ''}".strip())
            if len(texts) == count:
                break
    return texts


def cosines(texts: Sequence[str], log: Callable[[str], None]) -> dict[str, dict[str, float]]:
    reference = load_embedder(None).embed(texts)
    out: dict[str, dict[str, float]] = {}
    for precision in PRECISIONS:
        vectors = indexing_encoder(Settings(precision=precision), exports=EXPORTS).embed(texts)
        similarity = np.sum(vectors * reference, axis=1)
        out[precision] = {"mean": round(float(similarity.mean()), 5), "min": round(float(similarity.min()), 5)}
        log(
            f"  {precision}: mean cosine to torch {out[precision]['mean']:.4f} "
            f"(min {out[precision]['min']:.4f}) over {len(texts)} texts"
        )
    return out


def scifact(dataset: Path, precision: Precision, log: Callable[[str], None]) -> dict[str, Any]:
    cache = Path(".recommender/eval") / (
        dataset.resolve().name if precision == DEFAULT_PRECISION["onnx"] else f"{dataset.resolve().name}-{precision}"
    )
    command = [
        str(Path(sys.executable).with_name("recommender")),
        "--precision",
        precision,
        "eval",
        "--dataset",
        str(dataset),
        "--method",
        "hybrid",
        "--cache",
        str(cache),
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-800:]}")
    report = json.loads(done.stdout)
    log(
        f"  {precision}: SciFact hybrid nDCG@10 {report['hybrid']['ndcg@10']:.4f} "
        f"({'reused' if report['run']['index_reused'] else 'built'} {cache})"
    )
    return {
        "ndcg@10": report["hybrid"]["ndcg@10"],
        "recall@100": report["hybrid"]["recall@100"],
        "command": " ".join(command[1:]),
        "index_reused": report["run"]["index_reused"],
    }


def scenarios(precision: Precision, log: Callable[[str], None]) -> dict[str, Any]:
    from recommender.scenario_eval import report, run_scenarios  # brings ranx (the eval extra)
    from recommender.scenarios import load_scenarios, resolve_ids

    with tempfile.TemporaryDirectory(prefix="quality-bench-") as tmp:
        settings = Settings(index=Path(tmp), precision=precision)
        build_index(
            [Path("corpus")],
            options=BuildOptions(index=settings.index),
            embedder=indexing_encoder(settings, exports=EXPORTS),
            vocabulary=Vocabulary(),
        )
        recommender = Recommender.open(settings, today=lambda: TODAY)
        results = run_scenarios(recommender, resolve_ids(load_scenarios(SCENARIOS), recommender.snapshot), today=TODAY)
        measured = report(recommender, results, audience="buyer", today=TODAY)
    out = {
        "missed_gaps": measured.gaps.missed_gaps,
        "false_gaps": measured.gaps.false_gaps,
        "ndcg@5": measured.curated.ndcg_at_5,
        "coverage": measured.coverage,
    }
    log(
        f"  {precision}: scenarios - {out['missed_gaps']} uncovered problems missed, "
        f"{out['false_gaps']} covered flagged, nDCG@5 {out['ndcg@5']:.3f}"
    )
    return out


def run(dataset: Path, *, texts: int = 1000, log: Callable[[str], None] = print) -> dict[str, Any]:
    similarity = cosines(sample_texts(dataset, texts), log)
    rows = {}
    for precision in PRECISIONS:
        row = {
            "cosine": similarity[precision],
            "scifact": scifact(dataset, precision, log),
            "scenarios": scenarios(precision, log),
        }
        row["passes_issue_gates"] = row["scifact"]["ndcg@10"] >= NDCG_GATE and row["cosine"]["mean"] >= COSINE_GATE
        rows[precision] = row
    for row in rows.values():  # a precision keeps the labelled gaps when it misses no more of them than fp32 does
        row["keeps_every_labelled_gap"] = row["scenarios"]["missed_gaps"] <= rows["fp32"]["scenarios"]["missed_gaps"]
    return {
        "texts": texts,
        "dataset": str(dataset),
        "gates": {"ndcg@10": NDCG_GATE, "mean_cosine": COSINE_GATE},
        "torch_fp32_ndcg@10": TORCH_NDCG,
        "default_precision": DEFAULT_PRECISION["onnx"],
        "precisions": rows,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality_bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--dataset", type=Path, default=Path("../shared/evaldata/scifact"))
    parser.add_argument("--texts", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.dataset, texts=args.texts), indent=2))


if __name__ == "__main__":
    main()
