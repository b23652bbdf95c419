"""Problem gaps: common buyer problems that nothing a buyer may receive answers well.

Each problem is asked of the Recommender itself, as a buyer request, so a gap here is exactly
a gap a seller would see: the same retriever, hard filters and the library's calibrated threshold. Problems go
in requests of at most `MAX_PROBLEMS`; gaps are computed per problem, so grouping does not
change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.errors import RecommenderError
from recommender.audit.report import ProblemGap, ProblemGaps
from recommender.models import MAX_PROBLEM_CHARS, MAX_PROBLEMS
from recommender.service import Recommender, parse_request


def read_problems(path: Path) -> tuple[str, ...]:
    """One problem per line; blank lines and lines starting with '#' are skipped, repeats dropped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecommenderError(
            f"cannot read the problems file {path}: {exc}",
            hint="Give a UTF-8 text file with one buyer problem per line.",
        ) from exc
    problems: dict[str, None] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if len(text) > MAX_PROBLEM_CHARS:
            raise RecommenderError(
                f"{path}:{number}: the problem is {len(text)} characters long; at most {MAX_PROBLEM_CHARS} are allowed",
                hint="Shorten it to a sentence or two in the buyer's words.",
            )
        if text and not text.startswith("#"):
            problems.setdefault(text, None)
    if not problems:
        raise RecommenderError(f"the problems file {path} has no problems", hint="Write one buyer problem per line.")
    return tuple(problems)


def problem_gaps(recommender: Recommender, problems: Sequence[str], *, source: str) -> ProblemGaps:
    gaps: list[ProblemGap] = []
    for start in range(0, len(problems), MAX_PROBLEMS):
        request = parse_request({"problems": list(problems[start : start + MAX_PROBLEMS]), "audience": "buyer"})
        answer = recommender.recommend(request)
        gaps.extend(ProblemGap(problem=g.problem, closest=g.closest, message=g.message) for g in answer.gaps)
    return ProblemGaps(source=source, checked=len(problems), gaps=tuple(gaps))
