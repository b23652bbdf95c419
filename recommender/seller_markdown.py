"""The seller's view of a Recommendation as markdown: what the terminal shows, ready for a CRM note or a wiki.

Unlike the note to the buyer (recommender/buyer_note.py) this is written for the seller: scores,
reasons with their quoted evidence and headings, the INTERNAL flag, the gaps and what was left out.
"""

from __future__ import annotations

from recommender.mdtext import escape
from recommender.models import PerRoleRecommendation, Recognised, Recommendation, RecommendedItem


def seller_markdown(answer: Recommendation, *, title: str = "Recommendation") -> str:
    """One markdown document: what was recognised, the items with their reasons, the gaps and what was left out."""
    parts = [f"## {escape(title)}", _recognised(answer.recognised)]
    if not answer.items:
        parts.append("Nothing to send: no content in the library answers these problems well.")
    parts += [_item(number, item) for number, item in enumerate(answer.items, start=1)]
    if answer.gaps:
        parts.append("**Gaps**\n\n" + "\n".join(f"- {escape(gap.message)}" for gap in answer.gaps))
    if answer.trimmed:
        lines = [f"- {escape(t.title)} (`{t.id}`): {t.reason} - {escape(t.detail)}" for t in answer.trimmed]
        parts.append("**Left out**\n\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def seller_markdown_per_role(answer: PerRoleRecommendation) -> str:
    """One section per role of a buying group."""
    return "\n".join(seller_markdown(part.recommendation, title=f"For the {part.role}") for part in answer.roles)


def _recognised(r: Recognised) -> str:
    facts = [f"for {r.audience}"]
    if r.stage:
        given = f" (from '{r.stage_given}')" if r.stage_given and r.stage_given != r.stage else ""
        facts.append(f"stage {r.stage}{given}")
    facts += [f"roles {', '.join(r.roles)}"] if r.roles else []
    facts += [f"industry {r.industry}"] if r.industry else []
    facts += [f"competitors {', '.join(r.competitors)}"] if r.competitors else []
    lines = [f"Recognised: {escape('; '.join(facts))}  "]
    if r.context:
        lines.append(f"Read as context: {escape(' | '.join(r.context))}  ")
    lines.append(f"Problems: {escape(' | '.join(r.problems))}")
    return "\n".join(lines)


def _item(number: int, item: RecommendedItem) -> str:
    flag = " **INTERNAL - do not send**" if item.internal else ""
    where = item.url or item.source_path
    link = f"[{escape(where)}](<{item.url}>)" if item.url else f"`{where}`"
    read = (
        f"read *{escape(item.section.heading)}*, {item.reading_minutes} min"
        if item.reading_minutes < item.item_reading_minutes
        else f"read it all, {item.reading_minutes} min"
    )
    lines = [
        f"{number}. **{escape(item.title)}** ({item.type}, `{item.id}`, score {item.score:.2f}){flag}  ",
        f"   {read} - {link}",
        "",
    ]
    for reason in item.reasons:
        lines.append(f"   - {escape(reason.text)}")
        if reason.evidence.quote:
            lines.append(f"     > {escape(' '.join(reason.evidence.quote.split()))}")
    return "\n".join(lines)
