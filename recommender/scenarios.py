"""Buyer scenarios: the labelled requests a library's answers are measured against.

A scenario file is a YAML list; each entry is

    - id: s01-month-end-close
      stage: evaluation                # a buying job or an alias
      problems: ["month-end close takes twelve days", "..."]
      relevant: {wp-continuous-close: 2, faq/close.md: 1}   # 2 = send first, 1 = useful
      gap: true                        # optional: nothing in the library answers these problems

An ID in `relevant` is a document id or its path relative to the indexed folder, with or without
`.md`. Optional keys a content team may add: `roles`, `industry`, `already_sent` (the request's
context), `uncovered` (the problems of a scenario that nothing answers, when only some are),
`description`, `note` and `wording` (free text, not used). Grades above 2 are accepted and count
as "send first" (an older three-level scale used 3 / 2 / 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indexer.errors import RecommenderError
from indexer.store import IndexSnapshot

SEND_FIRST = 2  # a grade at or above this means "send first"


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    stage: str | None = None
    problems: list[str] = Field(min_length=1, max_length=10)
    relevant: dict[str, int] = Field(default_factory=dict)
    gap: bool = False
    roles: list[str] = Field(default_factory=list)
    industry: str | None = None
    already_sent: list[str] = Field(default_factory=list)
    uncovered: list[str] = Field(default_factory=list)
    description: str = ""
    note: str = ""
    wording: str | None = None

    @field_validator("relevant")
    @classmethod
    def _grades(cls, relevant: dict[str, int]) -> dict[str, int]:
        bad = [f"{doc}: {grade}" for doc, grade in relevant.items() if grade < 0]
        if bad:
            raise ValueError(f"grades must be 0 or more (2 = send first, 1 = useful): {', '.join(bad)}")
        return relevant

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.gap and any(g > 0 for g in self.relevant.values()):
            raise ValueError("a 'gap: true' scenario has no relevant items; remove 'gap' or empty 'relevant'")
        stray = [p for p in self.uncovered if p not in self.problems]
        if stray:
            raise ValueError(f"'uncovered' names problems that are not in 'problems': {stray}")
        return self

    def unanswerable(self) -> list[str]:
        """The problems nothing in the library answers, by the labels."""
        return list(self.problems) if self.gap else [p for p in self.problems if p in self.uncovered]

    def answerable(self) -> list[str]:
        """The problems a page answers, by the labels: those of a scenario with a send-first page."""
        if self.gap or not any(g >= SEND_FIRST for g in self.relevant.values()):
            return []
        return [p for p in self.problems if p not in self.uncovered]

    def request(self, *, max_items: int, audience: str = "buyer") -> dict[str, Any]:
        return {
            "problems": self.problems,
            "stage": self.stage,
            "roles": self.roles,
            "industry": self.industry,
            "already_sent": self.already_sent,
            "max_items": max_items,
            "audience": audience,
        }


def load_scenarios(path: Path) -> list[Scenario]:
    """Read and validate a scenario file; every problem is reported with the scenario it is in."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecommenderError(
            f"cannot read the scenario file {path} ({exc.strerror})", hint="Give the path of a YAML scenario file."
        ) from exc
    except yaml.YAMLError as exc:
        raise RecommenderError(
            f"{path} is not valid YAML: {exc}", hint="Fix the YAML syntax at the position shown."
        ) from exc
    if not isinstance(data, list) or not data:
        raise RecommenderError(f"{path} must hold a non-empty YAML list of scenarios", hint=FORMAT_HINT)
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for number, entry in enumerate(data, start=1):
        try:
            scenarios.append(Scenario.model_validate(entry))
        except ValidationError as exc:
            name = entry.get("id", f"#{number}") if isinstance(entry, dict) else f"#{number}"
            problems.extend(f"scenario {name}: {_describe(e)}" for e in exc.errors())
    _check_unique(scenarios, problems)
    if problems:
        raise RecommenderError(f"{path} has {len(problems)} problem(s):\n  " + "\n  ".join(problems), hint=FORMAT_HINT)
    return scenarios


FORMAT_HINT = (
    "Each scenario: {id, stage, problems: [..], relevant: {ID: 2|1}, gap: true (optional)}; see "
    "'recommender eval --help'."
)


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _check_unique(scenarios: Sequence[Scenario], problems: list[str]) -> None:
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            problems.append(f"scenario {scenario.id}: the id is used twice")
        seen.add(scenario.id)


def resolve_ids(scenarios: Sequence[Scenario], snapshot: IndexSnapshot) -> list[Scenario]:
    """The scenarios with every relevant and already-sent ID turned into the index's document id.

    Unknown IDs are an error listing each one with the closest known id, so a typo cannot quietly
    lower a score.
    """
    lookup = _id_lookup(snapshot)
    unknown: list[str] = []
    out = []
    for scenario in scenarios:
        relevant: dict[str, int] = {}
        for given, grade in scenario.relevant.items():
            doc_id = lookup.get(_key(given))
            if doc_id is None:
                unknown.append(f"scenario {scenario.id}: '{given}'{_suggest(given, lookup)}")
            else:
                relevant[doc_id] = max(grade, relevant.get(doc_id, 0))
        sent = [lookup.get(_key(s), s) for s in scenario.already_sent]
        out.append(scenario.model_copy(update={"relevant": relevant, "already_sent": sent}))
    if unknown:
        raise RecommenderError(
            f"{len(unknown)} ID(s) in the scenarios are not in the index:\n  " + "\n  ".join(unknown),
            hint="Use a document id or its path relative to the indexed folder (with or without .md), and "
            "check the index is of the right library.",
        )
    return out


def _id_lookup(snapshot: IndexSnapshot) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for document in snapshot.documents:
        lookup.setdefault(_key(document.rel_path), document.meta.id)
    for document in snapshot.documents:
        lookup[_key(document.meta.id)] = document.meta.id  # an id wins over a path that spells the same
    return lookup


def _key(value: str) -> str:
    value = value.strip().strip("/").replace("\\", "/")
    return value[:-3] if value.lower().endswith(".md") else value


def _suggest(given: str, lookup: dict[str, str]) -> str:
    close = difflib.get_close_matches(_key(given), list(lookup), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
