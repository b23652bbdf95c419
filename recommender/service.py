"""The Recommender: load a published index once, answer requests with typed Recommendations."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from indexer.answers import AnswerScorer
from indexer.embed import Embedder
from indexer.encoders import open_index
from indexer.errors import InvalidRequestError
from indexer.settings import Settings
from indexer.store import IndexSnapshot
from indexer.vocabulary import Vocabulary, load_vocabulary
from recommender.candidates import Match, ProblemResult, allowed_documents, find_candidates
from recommender.curator import Curation, Limits, Pick, curate
from recommender.deals import remember
from recommender.duplicates import Duplicates
from recommender.engagement import Engagement, boost, engagement_reason
from recommender.events.store import EventStore, existing_store
from recommender.freetext import recognise
from recommender.models import (
    MAX_PROBLEMS,
    Closest,
    Gap,
    IndexInfo,
    PerRoleRecommendation,
    Recognised,
    Recommendation,
    RecommendationRequest,
    RecommendedItem,
    RoleRecommendation,
    SectionRef,
    Trimmed,
)
from recommender.quotes import Quoter, SentenceTerms
from recommender.reasons import reasons_for
from recommender.requests import parse_request
from recommender.resolve import ResolvedRequest, resolve
from recommender.retriever import FusionConfig, Retriever

log = logging.getLogger(__name__)
PER_ROLE_ITEMS = 3


class Recommender:
    """Answers `recommend(request)` from one loaded index snapshot; safe to share between threads."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        embedder: Embedder,
        *,
        vocabulary: Vocabulary | None = None,
        fusion: FusionConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        history: EventStore | None = None,
        engagement: bool = True,
    ) -> None:
        """`history`: the deal-room engagement events (deal memory, and engagement priors unless `engagement` is
        False); None when none are stored."""
        self.snapshot = snapshot
        self.history = history
        self.vocabulary = vocabulary or Vocabulary()
        self.retriever = Retriever(snapshot, embedder, fusion)
        self.calibration = snapshot.manifest.calibration
        self._sentence_terms = SentenceTerms(snapshot)
        self.scorer = AnswerScorer(
            keyword=snapshot.keyword,
            piece_vectors=self.retriever.matrix,
            sentence_vectors=snapshot.sentence_vectors,
            piece_sentences=snapshot.piece_sentences,
            weights=self.calibration.weights,
        )
        self._today = today
        self.document_vectors = snapshot.document_vectors
        self.duplicates = Duplicates(snapshot.duplicate_pairs)  # found when the index was built
        self.engagement = Engagement(history, snapshot, self.vocabulary) if history and engagement else None

    @classmethod
    def open(
        cls, settings: Settings, *, embedder: Embedder | None = None, today: Callable[[], dt.date] = dt.date.today
    ) -> Recommender:
        """The published index under `settings.index`, answered with the encoder it was built with.

        A given `embedder` must match that encoder.
        """
        snapshot, embedder = open_index(settings, embedder=embedder)
        vocabulary = load_vocabulary(settings.vocabulary)
        history = existing_store(settings)
        return cls(
            snapshot, embedder, vocabulary=vocabulary, today=today, history=history, engagement=settings.engagement
        )

    def recommend(self, request: RecommendationRequest) -> Recommendation:
        request, deal = remember(request, self.history, self.snapshot, self.duplicates, self._today())
        resolved = resolve(request, self.vocabulary, known_types=self._known_types(request))
        allowed = allowed_documents(self.snapshot, resolved, self._today(), duplicates=self.duplicates)
        vectors = self.retriever.embed(resolved.problems)
        candidates, results = find_candidates(self.retriever, self.scorer, self.calibration, resolved, allowed, vectors)
        if self.engagement is not None:
            priors = self.engagement.priors(self._today())
            candidates = boost(candidates, priors, resolved.stage, lambda doc: self.snapshot.documents[doc].meta.id)
        quoter = Quoter(self.snapshot, self.scorer.sentence_vectors, self._sentence_terms, resolved.problems, vectors)
        curation = curate(
            candidates,
            snapshot=self.snapshot,
            duplicates=self.duplicates,
            limits=Limits(resolved.max_items, resolved.budget_minutes),
        )
        return Recommendation(
            items=[self._item(pick, curation.picks, resolved, quoter) for pick in curation.picks],
            gaps=[gap for r in results if (gap := self._gap(r, resolved)) is not None],
            trimmed=self._trimmed(curation),
            recognised=_recognised(resolved),
            index=IndexInfo(
                build_id=self.snapshot.manifest.build_id,
                built_at=self.snapshot.manifest.built_at.isoformat(),
                documents=len(self.snapshot.documents),
            ),
            deal=deal,
        )

    def _known_types(self, request: RecommendationRequest) -> frozenset[str]:
        """The types the request's audience may see; a type filter naming another is unknown to them."""
        if not request.include_types and not request.exclude_types:
            return frozenset()
        today = self._today()
        return self.snapshot.columns.types_among(self.snapshot.columns.visible(request.audience, today))

    def recommend_per_role(self, request: RecommendationRequest) -> PerRoleRecommendation:
        """One short set per requested role; an item chosen for one role is not repeated for another."""
        if not request.roles:
            raise InvalidRequestError(
                "per-role recommendations need at least one role",
                hint="Name the buying group's roles, e.g. --role cfo --role it-security.",
                field="roles",
            )
        chosen: list[str] = []
        out = []
        for role in dict.fromkeys(request.roles):
            sub = request.model_copy(
                update={
                    "roles": [role],
                    "already_sent": [*request.already_sent, *chosen],
                    "max_items": min(request.max_items, PER_ROLE_ITEMS),
                }
            )
            answer = self.recommend(sub)
            chosen.extend(item.id for item in answer.items)
            out.append(RoleRecommendation(role=answer.recognised.roles[0], recommendation=answer))
        return PerRoleRecommendation(roles=out)

    def ask(self, text: str, *, audience: str = "buyer", max_items: int = 5) -> Recommendation:
        """A seller's sentence, split into the buyer's problems and their context (stage, roles, industry, ...)."""
        found = recognise(text, self.vocabulary)
        problems = list(found.problems[:MAX_PROBLEMS]) or [text]
        request = parse_request(
            {
                "problems": problems,
                "stage": found.stage,
                "roles": list(found.roles),
                "industry": found.industry,
                "audience": audience,
                "max_items": max_items,
            }
        )
        answer = self.recommend(request)
        recognised = answer.recognised.model_copy(
            update={
                "stage_given": found.stage_phrase,
                "competitors": list(found.competitors),
                "context": list(found.context),
            }
        )
        return answer.model_copy(update={"recognised": recognised})

    def _item(self, pick: Pick, picks: Sequence[Pick], request: ResolvedRequest, quoter: Quoter) -> RecommendedItem:
        document = self.snapshot.documents[pick.candidate.doc]
        section = self.snapshot.sections[pick.section]
        meta = document.meta
        return RecommendedItem(
            id=meta.id,
            title=meta.title,
            type=meta.type,
            url=meta.url,
            source_path=document.rel_path,
            internal=meta.audience != "buyer",
            section=SectionRef(
                heading=section.heading or meta.title,
                heading_path=list(section.heading_path),
                reading_minutes=section.reading_minutes,
            ),
            reading_minutes=pick.minutes,
            item_reading_minutes=document.reading_minutes,
            score=round(pick.score, 4),
            problems=[request.problems[m.problem] for m in sorted(self._claims(pick), key=lambda m: m.problem)],
            roles=list(pick.candidate.fit.roles),
            stages=list(meta.stages),
            reasons=[
                *reasons_for(
                    pick, picks, snapshot=self.snapshot, request=request, quoter=quoter, claims=self._claims(pick)
                ),
                *filter(None, [engagement_reason(pick.candidate)]),
            ],
        )

    def _claims(self, pick: Pick) -> tuple[Match, ...]:
        """The problems an item is said to address: its most relevant one, and any other it answers well enough."""
        first, *rest = pick.candidate.matches
        return (first, *(m for m in rest if m.strength >= self.calibration.answers))

    def _gap(self, result: ProblemResult, request: ResolvedRequest) -> Gap | None:
        problem = request.problems[result.problem]
        closest = result.closest
        if result.answered:
            return None
        if closest is None or result.closest_doc is None:
            return Gap(
                problem=problem,
                message=f'Nothing in the library that this buyer may receive answers "{problem}".',
                closest=None,
            )
        meta = self.snapshot.documents[result.closest_doc].meta
        needed = self.calibration.answers
        return Gap(
            problem=problem,
            message=f'Nothing in the library answers "{problem}" well; the closest is "{meta.title}" '
            f"(answer strength {closest.strength:.3f}, below the {needed:.3f} an answer needs in this library).",
            closest=Closest(id=meta.id, title=meta.title, similarity=round(closest.strength, 4)),
        )

    def _trimmed(self, curation: Curation) -> list[Trimmed]:
        return [
            Trimmed(id=(m := self.snapshot.documents[s.doc].meta).id, title=m.title, reason=s.reason, detail=s.detail)
            for s in curation.trimmed
        ]


def _recognised(request: ResolvedRequest) -> Recognised:
    return Recognised(
        problems=list(request.problems),
        stage=request.stage,
        stage_given=request.stage_given,
        related_stages=list(request.related_stages),
        roles=list(request.roles),
        industry=request.industry,
        audience=request.audience,
    )
