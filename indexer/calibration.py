"""Gap calibration: how strong an answer must be in *this* library, learned when it is indexed.

An absolute threshold tuned on one library does not transfer: libraries differ in size, in how
alike their texts are and in how closely any question lands near some passage. So each build asks
its own library a fixed set of buyer problems from unrelated lines of business
(`indexer/data/unrelated_problems.txt`, which a library answers at most a few of) and records how
strongly its best passage seems to answer them: the median and a robust spread (1.4826 x the
median absolute deviation, so a few problems the library does answer cannot move it).

    answers = median + GAP_Z x spread    a problem whose best allowed passage stays below is a gap
    keeps   = median + KEEP_Z x spread   an item below this answers nothing and is never sent

GAP_Z and KEEP_Z are the only constants; they were chosen out of fold on labelled buyer scenarios
of two libraries and measured on the other (`python -m benchmarks.calibrate_gaps`,
benchmarks/results/gap_calibration.json). The result is kept in the build's manifest.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict

from indexer.answers import AnswerScorer, AnswerWeights

# Chosen on both libraries' scenarios; out of fold it transfers as benchmarks/results/gap_calibration.json shows.
GAP_Z = 1.0
KEEP_Z = 0.0  # not searched: an item must answer better than this library's median answer to an unrelated problem
METHOD = "unrelated-problems-v1"
MAD_TO_SIGMA = 1.4826
EVERY_PASSAGE = 50_000  # up to this many pieces every passage is scored for each question
SHORTLIST = 2_000  # past it, this many by vector and by keyword


class Calibration(BaseModel):
    """One library's answer scale, stored in its manifest."""

    model_config = ConfigDict(frozen=True)

    method: str
    coverage_weight: float  # the answer-strength weights the scale was measured with (indexer/answers.py)
    vocabulary_weight: float
    questions: int
    median: float
    spread: float
    gap_z: float
    keep_z: float

    @property
    def answers(self) -> float:
        """The strength a problem's best answer must reach, or the problem is a gap."""
        return self.median + self.gap_z * self.spread

    @property
    def keeps(self) -> float:
        """The strength an item must reach to be sent at all."""
        return self.median + self.keep_z * self.spread

    @property
    def weights(self) -> AnswerWeights:
        return AnswerWeights(coverage=self.coverage_weight, vocabulary=self.vocabulary_weight)


def unrelated_problems() -> list[str]:
    text = resources.files("indexer").joinpath("data/unrelated_problems.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def calibrate(scorer: AnswerScorer, problems: list[str], vectors: np.ndarray, *, pieces: int) -> Calibration:
    """Ask the library the unrelated `problems` (embedded as `vectors`) and record its answer scale."""
    return from_strengths(best_strengths(scorer, problems, vectors, pieces=pieces), weights=scorer.weights)


def best_strengths(scorer: AnswerScorer, problems: list[str], vectors: np.ndarray, *, pieces: int) -> np.ndarray:
    """For each problem, the strength of the library's best passage (0 for an empty library).

    Every passage is scored up to `EVERY_PASSAGE` pieces; past that, the `SHORTLIST` passages closest to the
    problem by vector and the `SHORTLIST` best by keyword (the best answer's sentence cosine and term coverage make
    it one of those), so calibrating grows linearly with the library, not with its size times the questions.
    """
    if pieces == 0:
        return np.zeros(len(problems))
    every = np.arange(pieces, dtype=np.int64)
    return np.array(
        [
            float(scorer.strengths(p, v, every if pieces <= EVERY_PASSAGE else _shortlist(scorer, p, v)).max())
            for p, v in zip(problems, vectors)
        ]
    )


def _shortlist(scorer: AnswerScorer, problem: str, vector: np.ndarray) -> np.ndarray:
    dense = np.asarray(scorer.piece_vectors @ vector.astype(np.float32))
    keyword = scorer.keyword.scores(problem)
    rows = [np.argpartition(-dense, SHORTLIST)[:SHORTLIST], np.argpartition(-keyword, SHORTLIST)[:SHORTLIST]]
    return np.unique(np.concatenate(rows)).astype(np.int64)


def from_strengths(
    best: np.ndarray, *, weights: AnswerWeights, gap_z: float = GAP_Z, keep_z: float = KEEP_Z
) -> Calibration:
    median = float(np.median(best))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(best - median)))
    return Calibration(
        method=METHOD,
        coverage_weight=weights.coverage,
        vocabulary_weight=weights.vocabulary,
        questions=len(best),
        median=round(median, 4),
        spread=round(max(spread, 1e-3), 4),
        gap_z=gap_z,
        keep_z=keep_z,
    )
