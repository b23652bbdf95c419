"""`recommender recommend` and `recommender ask`: what should I send this buyer?"""

from __future__ import annotations

from pathlib import Path

import typer

from indexer.settings import Settings
from indexer.vocabulary import load_vocabulary
from recommender.cli.app import app, out, settings_of, user_errors
from recommender.cli.formats import FORMAT_HELP, OutputFormat, chosen_format, show, show_per_role
from recommender.models import RecommendationRequest
from recommender.requests import check_vocabulary, parse_request

INDEX_HELP = "Index directory (default .recommender/index, or RECOMMENDER_INDEX)."


def checked(request: RecommendationRequest, settings: Settings) -> RecommendationRequest:
    """The cheap checks, before the index and its encoder load: the vocabulary, then that an index is there."""
    check_vocabulary(request, load_vocabulary(settings.vocabulary))
    from indexer.store import current_build

    current_build(settings.index)
    return request


@app.command("recommend")
@user_errors
def recommend_command(
    ctx: typer.Context,
    problem: list[str] = typer.Option(
        ..., "--problem", "-p", help="A problem in the buyer's words (repeat for several, up to 10)."
    ),
    stage: str | None = typer.Option(
        None, "--stage", help="Buying job or alias (awareness, evaluation, proposal, ...)."
    ),
    role: list[str] = typer.Option(
        [], "--role", help="Buying-group role (repeat for several): cfo, controller, it-security, ..."
    ),
    industry: str | None = typer.Option(None, "--industry"),
    sent: list[str] = typer.Option([], "--sent", help="Id of an item the buyer already has (repeatable)."),
    deal: str | None = typer.Option(
        None, "--deal", help="Deal id: what its engagement events say it has is not sent again."
    ),
    max_items: int = typer.Option(5, "--max-items", help="At most this many items (1-20)."),
    budget_minutes: float | None = typer.Option(None, "--budget-minutes", help="Total reading time the buyer has."),
    audience: str = typer.Option(
        "buyer", "--audience", help="buyer (only buyer-facing content) or seller (internal too)."
    ),
    include_type: list[str] = typer.Option([], "--type", help="Only these content types (repeatable)."),
    exclude_type: list[str] = typer.Option([], "--exclude-type", help="Never these content types (repeatable)."),
    per_role: bool = typer.Option(False, "--per-role", help="One short set per role, without repeats."),
    no_engagement: bool = typer.Option(
        False, "--no-engagement", help="Rank by relevance and fit only, without engagement priors from deal rooms."
    ),
    fmt: OutputFormat | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json: the Recommendation and nothing else."),
    index: Path | None = typer.Option(None, "--index", help=INDEX_HELP),
) -> None:
    """Recommend a short, reasoned set of content for a buyer's problems."""
    settings = settings_of(ctx, index=index)
    output = chosen_format(fmt, as_json=as_json)
    if no_engagement:
        settings = settings.model_copy(update={"engagement": False})
    request = checked(
        parse_request(
            {
                "problems": problem,
                "stage": stage,
                "roles": role,
                "industry": industry,
                "already_sent": sent,
                "deal_id": deal,
                "max_items": max_items,
                "reading_budget_minutes": budget_minutes,
                "audience": audience,
                "include_types": include_type,
                "exclude_types": exclude_type,
            }
        ),
        settings,
    )
    from recommender.service import Recommender

    recommender = Recommender.open(settings)
    if per_role:
        show_per_role(out, recommender.recommend_per_role(request), output)
        return
    show(out, recommender.recommend(request), output)


@app.command("ask")
@user_errors
def ask_command(
    ctx: typer.Context,
    text: str = typer.Argument(
        ..., help="The buyer in a seller's words, e.g. 'CFO at a regional bank worried about implementation risk'."
    ),
    audience: str = typer.Option("buyer", "--audience", help="buyer or seller."),
    max_items: int = typer.Option(5, "--max-items"),
    fmt: OutputFormat | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json: the Recommendation and nothing else."),
    index: Path | None = typer.Option(None, "--index", help=INDEX_HELP),
) -> None:
    """Answer a free-text request; shows the stage, roles and industry it recognised."""
    settings = settings_of(ctx, index=index)
    output = chosen_format(fmt, as_json=as_json)
    checked(parse_request({"problems": [text], "audience": audience, "max_items": max_items}), settings)
    from recommender.service import Recommender

    show(out, Recommender.open(settings).ask(text, audience=audience, max_items=max_items), output)
