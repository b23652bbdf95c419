"""Read a seller's sentence: the buyer's problems, and the context around them.

"Controller at a hospital group evaluating us against Closewise, worried about auditors" ->
role controller, industry healthcare, stage supplier-selection (from "evaluating us against"),
competitor Closewise, problems ["worried about auditors", "how we compare with Closewise"].

Roles and industries come from the configured vocabularies (every alias counts, except short or
everyday words that would misfire in prose: "it", "ap", "closing"); stages from the vocabulary
and from phrases buyers and sellers use for a buying job. What is left once the context is taken
out is cut into clauses; a clause that still says something (two content words, or a worry) is a
problem. A named competitor becomes a problem of its own, since comparisons are content too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.vocabulary import Facet, Vocabulary

AMBIGUOUS = frozenset(
    {
        "it",
        "ap",
        "ar",
        "user",
        "users",
        "problem",
        "security",
        "research",
        "education",
        "proof",
        "trial",
        "closing",
        "commit",
        "selection",
        "alignment",
        "approval",
        "health",
        "tech",
        "technology",
        "demo",
        "consensus",
        "requirements",
        "decision",
        "exploration",
        "foundation",
        "discovery",
        "evaluation",
        "treasury",
        "accountant",
        "accountants",
        "sourcing",
    }
)

_VENDORS = r"(?:us|vendors?|suppliers?|tools?|options|platforms?|solutions?|products?|providers?)"
STAGE_PHRASES: dict[str, str] = {
    rf"(?:evaluat|compar|weigh|benchmark)\w* {_VENDORS}(?: (?:against|with|to|versus|vs\.?) (?:two|three"
    rf"|several|other|\d+) {_VENDORS})?": "supplier-selection",
    r"(?:evaluat|compar)\w* (?:us )?(?:against|with|to|versus|vs\.?)": "supplier-selection",
    rf"(?:two|three|several|other|\d) (?:vendors|suppliers|competitors|{_VENDORS[3:-1]})": "supplier-selection",
    r"short-?list\w*(?: us)?|pric\w+ (?:negotiation|proposal)|negotiat\w+|final round": "supplier-selection",
    r"security review|due diligence|reference calls?|check(?:ing)? references|proof of concept|pilot\w*"
    r"|\btrial\b|renew\w*": "validation",
    r"business case|get (?:the )?(?:board|cfo|team|buying group) (?:on board|to agree)|sign-?off|board "
    r"approval|justify (?:the )?(?:cost|spend|price|investment)": "consensus-creation",
    r"(?:list|writing|write|gathering) (?:of )?requirements|an rfp|requirements list": "requirements-building",
    r"evaluat\w+": "requirements-building",
    r"just (?:started|starting) (?:looking|to look)"
    r"|not sure (?:there is|what) (?:a|the) problem": "problem-identification",
    r"what (?:options|kinds of tools) exist|learning about (?:options|tools)"
    r"|exploring (?:options|tools|solutions)": "solution-exploration",
}
_COMPETITOR = re.compile(
    r"(?:against|versus|vs\.?|compared (?:to|with)|comparing (?:us )?(?:to|with|against)|instead of"
    r"|switching from|replacing|moving (?:off|from)|rather than)\s+"
    r"((?:[A-Z][\w&.-]*)(?:\s+(?:and|or|&)?\s*[A-Z][\w&.-]*)*)"
)
_CLAUSE = re.compile(
    r"[,;:.!?]+\s*|\s+-\s+|\s+(?:and|but|while|because|so|although)\s+(?=(?:they|she|he|we|worried|concerned"
    r"|struggling|needs?|wants?|afraid|unsure|asking|asked|keeps?|can't|cannot|don't|has|have|is|are)\b)",
    re.I,
)
_LEAD_IN = re.compile(
    r"^(?:(?:who|that|which|they|she|he|we|and|but)\s+)?(?:(?:is|are|was|were|'s|'re|also|currently|really"
    r"|still|says?|said|mentions?|mentioned|tells? us|told us)\s+)*",
    re.I,
)
_WORRY = re.compile(
    r"\b(?:worr|concern|struggl|afraid|unsure|need|want|ask|problem|pain|risk)\w*|\b(?:can't|cannot)\b", re.I
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")
FUNCTION_WORDS = frozenset(
    """a an the and or but if so as at in on of to for from with by about into over under than then this that these
    those there here who whom whose which what when where why how is are was were be been being am has have had do does
    did not no our their his her its my your we they he she it us them him me you also very just still really currently
    group team company firm organisation organization mid-size midsize large small regional global new one two some any
    all each every""".split()
)


@dataclass(frozen=True)
class Recognised:
    stage: str | None
    roles: tuple[str, ...]
    industry: str | None
    problems: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    stage_phrase: str | None = None
    context: tuple[str, ...] = field(default=())  # the phrases read as context, as written


def recognise(text: str, vocabulary: Vocabulary) -> Recognised:
    written = " ".join(text.split())
    lowered = written.lower()
    spans: list[tuple[int, int]] = []
    roles = _all(lowered, vocabulary.roles, spans)
    industries = _all(lowered, vocabulary.industries, spans)
    stage_spans: list[tuple[int, int]] = list(spans)
    stage, phrase = _stage(lowered, vocabulary, stage_spans)
    competitors = _competitors(written, spans)
    staged = [span for span in stage_spans if span not in spans]
    context = tuple(written[a:b] for a, b in _merged(spans + staged))
    spans.extend(
        span for span in staged if _at_clause_edge(written, span, spans)
    )  # "justify the cost to the board" stays a problem
    problems = [*_problems(written, spans), *(f"how we compare with {c}" for c in competitors)]
    return Recognised(
        stage=stage,
        roles=tuple(roles),
        industry=industries[0] if industries else None,
        problems=tuple(dict.fromkeys(problems)),
        competitors=tuple(competitors),
        stage_phrase=phrase,
        context=context,
    )


def _spellings(facet: Facet) -> list[tuple[re.Pattern[str], str]]:
    pairs = sorted(
        ((s, v) for s, v in facet.spellings().items() if s not in AMBIGUOUS and len(s) > 2 or s in facet.values),
        key=lambda p: -len(p[0]),
    )
    return [(re.compile(rf"(?<![\w-]){re.escape(s)}(?![\w-])"), v) for s, v in pairs]


def _all(text: str, facet: Facet, spans: list[tuple[int, int]]) -> list[str]:
    found: dict[int, str] = {}
    for pattern, value in _spellings(facet):
        for match in pattern.finditer(text):
            if not _overlaps(match.span(), spans):
                found.setdefault(match.start(), value)
                spans.append(match.span())
    return list(dict.fromkeys(found[k] for k in sorted(found)))


def _stage(text: str, vocabulary: Vocabulary, spans: list[tuple[int, int]]) -> tuple[str | None, str | None]:
    before = len(spans)
    named = _all(text, vocabulary.stages, spans)
    if named:
        start, end = spans[before]
        return named[0], text[start:end]
    hits = sorted(
        (m.start(), -len(m.group(0)), m.span(), stage)
        for pattern, stage in STAGE_PHRASES.items()
        for m in re.finditer(pattern, text)
    )
    for _, _, span, stage in hits:
        if not _overlaps(span, spans):
            spans.append(span)
            return stage, text[span[0] : span[1]]
    return None, None


def _competitors(text: str, spans: list[tuple[int, int]]) -> list[str]:
    names: list[str] = []
    for match in _COMPETITOR.finditer(text):
        for name in re.split(r"\s+(?:and|or|&)\s+", match.group(1)):
            names.append(name.strip(" .,"))
        spans.append(match.span())
    return list(dict.fromkeys(n for n in names if n))


def _problems(text: str, spans: list[tuple[int, int]]) -> list[str]:
    blanked = "".join(" " if any(a <= i < b for a, b in spans) else c for i, c in enumerate(text))
    out = []
    for clause in _CLAUSE.split(blanked):
        clause = " ".join(clause.split())
        worry = _WORRY.search(clause)
        clause = clause[worry.start() :] if worry else _LEAD_IN.sub("", _strip_leading(clause))
        content = [w for w in _WORD.findall(clause) if w.lower() not in FUNCTION_WORDS and len(w) > 2]
        if len(content) >= 2 or (content and worry):
            out.append(clause.strip(" -"))
    return out


def _strip_leading(clause: str) -> str:
    """Drop the function words a removed role or industry left at the front ("at a ...")."""
    words = clause.split()
    while words and words[0].lower() in FUNCTION_WORDS and words[0].lower() not in ("we", "our", "they", "their"):
        words.pop(0)
    return " ".join(words)


def _at_clause_edge(text: str, span: tuple[int, int], blanked: list[tuple[int, int]]) -> bool:
    """Whether a phrase starts or ends its clause once the other context is taken out."""
    rest = "".join(" " if any(a <= i < b for a, b in blanked) else c for i, c in enumerate(text))
    before, after = rest[: span[0]].rstrip(), rest[span[1] :].lstrip()
    return not before or before[-1] in ",;:.!?-" or not after or after[0] in ",;:.!?-"


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in spans)
