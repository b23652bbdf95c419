"""indexer.metadata (and the vocabulary it normalises against): front matter -> ContentMeta."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from indexer.errors import RecommenderError
from indexer.issues import FileIssue
from indexer.metadata import ContentMeta, build_metadata
from indexer.parse import parse_markdown
from indexer.vocabulary import Vocabulary, load_vocabulary


def meta_of(
    source: str, *, rel_path: str = "guides/close-checklist.md", vocabulary: Vocabulary | None = None
) -> tuple[ContentMeta, list[FileIssue]]:
    doc = parse_markdown(source, path=rel_path)
    return build_metadata(doc, rel_path=rel_path, source=source, vocabulary=vocabulary or Vocabulary())


def only_issue(issues: list[FileIssue]) -> FileIssue:
    assert len(issues) == 1, [i.render() for i in issues]
    return issues[0]


# ---- fallbacks -----------------------------------------------------------------------------


def test_no_front_matter_falls_back_to_path_heading_and_paragraph() -> None:
    meta, issues = meta_of("# Month-end close checklist\n\nTwelve steps that close the books.\n\nMore text.\n")
    assert issues == []
    assert meta.id == "guides/close-checklist"
    assert meta.title == "Month-end close checklist"
    assert meta.summary == "Twelve steps that close the books."
    assert meta.audience == "internal"
    assert meta.audience_given is False
    assert meta.type == "unknown"
    assert meta.stages == meta.roles == meta.industries == ()
    assert meta.updated is None and meta.expires is None
    assert meta.language == "en"


def test_title_falls_back_to_file_name_without_headings() -> None:
    meta, _ = meta_of("Just a paragraph.\n", rel_path="notes/win-story-notes.md")
    assert meta.title == "win story notes"
    assert meta.summary == "Just a paragraph."


def test_long_first_paragraph_is_clipped_at_a_word() -> None:
    paragraph = " ".join(["reconciliation"] * 60)
    meta, _ = meta_of(f"# T\n\n{paragraph}\n")
    assert len(meta.summary) <= 300
    assert meta.summary.endswith("reconciliation…")


def test_given_fields_win_over_fallbacks() -> None:
    meta, issues = meta_of(
        "---\nid: cs-acme\ntitle: Acme closes in 3 days\nsummary: How Acme did it.\naudience: Buyer\n---\n"
        "# Heading\n\nFirst paragraph.\n"
    )
    assert issues == []
    assert (meta.id, meta.title, meta.summary, meta.audience, meta.audience_given) == (
        "cs-acme",
        "Acme closes in 3 days",
        "How Acme did it.",
        "buyer",
        True,
    )


def test_numbers_in_text_fields_become_text() -> None:
    meta, issues = meta_of("---\nid: 2024\ntitle: 42\n---\nbody\n")
    assert issues == []
    assert (meta.id, meta.title) == ("2024", "42")


# ---- vocabularies and aliases --------------------------------------------------------------


def test_aliases_map_to_canonical_values() -> None:
    meta, issues = meta_of(
        "---\n"
        "stages: [awareness, Proof of Concept, RFP, validation, awareness]\n"
        "roles: [VP Finance, CISO, accounts payable, Controller]\n"
        "industries: banking, SaaS\n"
        "products: [Reconcile, Journal Entries]\n"
        "type: Case Study\n"
        "---\n# T\nbody\n"
    )
    assert issues == []
    assert meta.stages == ("problem-identification", "validation", "requirements-building")  # duplicates removed
    assert meta.roles == ("cfo", "it-security", "ap-ar-lead", "controller")
    assert meta.industries == ("financial-services", "software")
    assert meta.products == ("reconcile", "journal-entries")
    assert meta.type == "case-study"


def test_unknown_stage_is_reported_at_its_line_and_the_known_ones_kept() -> None:
    source = "---\ntitle: T\nstages:\n  - awareness\n  - smoke-signals\n---\n# T\nbody\n"
    meta, issues = meta_of(source)
    issue = only_issue(issues)
    assert issue.line == 3
    assert issue.path == "guides/close-checklist.md"
    assert "smoke-signals" in issue.what
    assert "problem-identification" in issue.fix and "awareness -> problem-identification" in issue.fix
    assert meta.stages == ("problem-identification",)


def test_unknown_role_and_industry_are_reported() -> None:
    meta, issues = meta_of("---\nroles: [wizard]\nindustries: [piracy, banking]\n---\nbody\n")
    assert sorted((i.line, i.what) for i in issues) == [
        (2, "unknown role 'wizard' (ignored)"),
        (3, "unknown industry 'piracy' (ignored)"),
    ]
    assert meta.roles == ()
    assert meta.industries == ("financial-services",)


def test_unknown_type_is_kept_and_reported() -> None:
    meta, issues = meta_of("---\ntitle: T\ntype: Podcast Episode\n---\nbody\n")
    issue = only_issue(issues)
    assert meta.type == "podcast-episode"
    assert issue.line == 3
    assert "podcast-episode" in issue.what
    assert "case-study" in issue.fix


def test_unknown_audience_is_treated_as_internal() -> None:
    meta, issues = meta_of("---\naudience: everyone\n---\nbody\n")
    assert meta.audience == "internal"
    assert meta.audience_given is True
    assert only_issue(issues).line == 2


# ---- invalid values ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-13-45", "next tuesday", "2024-02-30"])
def test_invalid_date_is_reported_and_ignored(value: str) -> None:
    meta, issues = meta_of(f"---\ntitle: T\nowner: ana\nupdated: {value}\nexpires: 2026-06-30\n---\nbody\n")
    issue = only_issue(issues)
    assert issue.line == 4
    assert "'updated'" in issue.what
    assert issue.fix == "write the date as YYYY-MM-DD"
    assert meta.updated is None
    assert meta.expires == dt.date(2026, 6, 30)  # the rest of the front matter survives
    assert meta.owner == "ana"


def test_expiry_is_compared_with_today() -> None:
    meta, _ = meta_of("---\nexpires: 2025-01-31\n---\nbody\n")
    assert meta.is_expired(dt.date(2025, 2, 1))
    assert not meta.is_expired(dt.date(2025, 1, 31))


@pytest.mark.parametrize("value", ["2020-13-45", "someday", "'2020-02-30'", "[2030-01-01]", "''"])
def test_an_unreadable_expiry_fails_closed_and_is_reported(value: str) -> None:
    """The issue's case: 'expires: 2020-13-45' was dropped, so the item never expired and stayed visible to buyers."""
    meta, issues = meta_of(f"---\ntitle: T\naudience: buyer\nexpires: {value}\n---\nbody\n")
    issue = only_issue(issues)
    assert issue.line == 4 and "'expires'" in issue.what
    assert issue.what.endswith("the item is withheld from buyers until it is fixed")
    assert meta.expires is None and meta.expires_invalid is not None
    assert value.strip("'[]") in meta.expires_invalid


def test_a_readable_or_absent_expiry_withholds_nothing() -> None:
    assert meta_of("---\nexpires: 2030-01-31\n---\nbody\n")[0].expires_invalid is None
    assert meta_of("---\nexpires:\n---\nbody\n")[0].expires_invalid is None  # empty: no expiry
    assert meta_of("---\ntitle: T\n---\nbody\n")[0].expires_invalid is None


@pytest.mark.parametrize(
    "url",
    ["https://example.com/a?b=c#d", "http://example.com", "HTTPS://EXAMPLE.COM/x", "mailto:sales@example.com"],
)
def test_http_https_and_mailto_links_are_kept(url: str) -> None:
    meta, issues = meta_of(f"---\nurl: {url}\n---\nbody\n")
    assert issues == [] and meta.url == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(4)",
        "JavaScript:alert(4)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.com/a",
        "//example.com/no-scheme",
        "/relative/junk",
        "example.com",
        "https://",
        "http:///path-only",
        "mailto:",
        "https://exa mple.com",
        "https://example.com/\u0000",
    ],
)
def test_any_other_link_is_dropped_and_reported(url: str) -> None:
    meta, issues = meta_of(f"---\nurl: {json.dumps(url)}\n---\nbody\n")
    issue = only_issue(issues)
    assert issue.line == 2 and "is not an http, https or mailto link; it was dropped" in issue.what
    assert meta.url is None


def test_a_stored_unsafe_link_is_never_served() -> None:
    """An index built before links were checked may hold one: it is dropped when the item is loaded."""
    stored = ContentMeta(id="a", title="A").model_dump() | {"url": "javascript:alert(4)"}
    assert ContentMeta.model_validate_json(json.dumps(stored)).url is None
    assert ContentMeta.model_validate(stored | {"url": "https://ok.example"}).url == "https://ok.example"


@pytest.mark.parametrize(
    ("rel_path", "expected"),
    [("new\nline.md", "new-line"), ("tab\there.md", "tab-here"), ("a/\u202eevil\x00.md", "a/-evil-"), ("\x01.md", "-")],
)
def test_an_id_made_from_a_file_name_drops_control_characters_and_says_so(rel_path: str, expected: str) -> None:
    meta, issues = meta_of("# T\n\nbody\n", rel_path=rel_path)
    assert meta.id == expected
    issue = only_issue(issues)
    assert issue.what == f"the file name has control or invisible characters; its id is '{expected}'"
    assert "\n" not in issue.path and "\x00" not in issue.path  # shown escaped, on one line


def test_a_given_id_with_a_trailing_newline_is_refused() -> None:
    meta, issues = meta_of('---\nid: "abc\\n"\n---\nbody\n', rel_path="x.md")
    assert meta.id == "x" and "has characters ids may not use" in only_issue(issues).what


def test_list_field_of_the_wrong_shape_is_reported() -> None:
    meta, issues = meta_of("---\ntitle: T\nroles: {cfo: yes}\n---\nbody\n")
    issue = only_issue(issues)
    assert issue.line == 3
    assert "'roles'" in issue.what
    assert meta.roles == ()
    assert meta.title == "T"


def test_bad_id_falls_back_to_path() -> None:
    meta, issues = meta_of("---\nid: has spaces & symbols\n---\nbody\n", rel_path="a/b.md")
    assert meta.id == "a/b"
    assert only_issue(issues).line == 2


# ---- organisation vocabulary files ---------------------------------------------------------


def test_vocabulary_file_extends_the_aliases(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(
        "stages: {pilot: validation, 'Business Review': consensus-creation}\n"
        "roles: {'Head of Books': controller}\nindustries: {crypto: banking}\n",
        encoding="utf-8",
    )
    vocabulary = load_vocabulary(path)
    meta, issues = meta_of(
        "---\nstages: [pilot, business review, awareness]\nroles: [head of books]\nindustries: [Crypto]\n---\nbody\n",
        vocabulary=vocabulary,
    )
    assert issues == []
    assert meta.stages == ("validation", "consensus-creation", "problem-identification")
    assert meta.roles == ("controller",)
    assert meta.industries == ("financial-services",)  # an alias may point at another alias
    _, default_issues = meta_of("---\nstages: [pilot]\n---\nbody\n")
    assert "pilot" in only_issue(default_issues).what  # the default vocabulary is not changed


def test_no_vocabulary_file_means_the_defaults() -> None:
    assert load_vocabulary(None) == Vocabulary()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("stages: {pilot: nowhere}\n", "unknown stage 'nowhere'"),
        ("roles: [cfo, controller]\n", "'roles' must map aliases"),
        ("stages: {pilot: [unclosed\n", "cannot read the vocabulary file"),
    ],
)
def test_bad_vocabulary_file_is_a_clear_error(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecommenderError) as caught:
        load_vocabulary(path)
    assert needle in caught.value.message
    assert str(path) in caught.value.message
    assert caught.value.hint


def test_missing_vocabulary_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecommenderError, match="cannot read the vocabulary file") as caught:
        load_vocabulary(tmp_path / "absent.yaml")
    assert "RECOMMENDER_VOCABULARY" in caught.value.hint
