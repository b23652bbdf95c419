"""The library audit on the real sample corpus with the real model.

Expected values are computed here, independently of the indexer, from the corpus files' front
matter (read with yaml) and from corpus/README.md's list of planted cases.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder, SentenceTransformerEmbedder
from indexer.settings import Settings
from indexer.vocabulary import INDUSTRIES, ROLES, STAGES, Vocabulary
from recommender.audit import AuditOptions, AuditReport, audit_library, render_html
from recommender.audit.freshness import months_before
from recommender.batch import prepare_output, run_batch
from recommender.batch_sinks import JsonLines
from recommender.cli import app
from recommender.service import Recommender, parse_request
from tests.conftest import CORPUS, EVALDATA, ROOT

TODAY = dt.date(2026, 11, 27)
PROBLEMS = ROOT / "samples" / "common-problems.txt"
DEALS = ROOT / "samples" / "deals.jsonl"
PLANTED_DUPLICATES = {
    frozenset({"roi-guide-2024", "roi-guide-2026"}),
    frozenset({"cs-meridian-health-reconciliation-2023", "cs-meridian-health-reconciliation"}),
    frozenset({"cs-harbor-point-close", "cs-harbor-point-snapshot"}),
    # The expired 2024 price sheet and the 2026 pricing page are two versions of one price list
    # (corpus/README.md: "an old price list"); a version pair is what the audit is for.
    frozenset({"pricing-sheet-2024", "pricing-overview-2026"}),
}
UNCOVERED = ("payroll", "tax provision", "ESG")  # corpus/README.md: topics the library does not cover
SOURCEGRAPH = EVALDATA / "sales-realworld" / "sourcegraph-handbook" / "content" / "departments"


# ---- the front matter, read independently ---------------------------------------------------


def _front_matter() -> dict[str, dict[str, Any]]:
    """id -> front matter (empty when none) for every content file in corpus/."""
    out = {}
    for path in sorted(CORPUS.rglob("*.md")):
        if path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text.split("\n---", 1)[0][4:]) if text.startswith("---\n") else {}
        rel = path.relative_to(CORPUS).as_posix()[:-3]
        out[str((data or {}).get("id") or rel)] = data or {}
    return out


def _canonical(values: Any, facet: str) -> set[str]:
    normalize = getattr(Vocabulary(), facet).normalize
    values = [values] if isinstance(values, str) else (values or [])
    return {c for v in values if (c := normalize(str(v))) is not None}


def _expired(data: dict[str, Any], today: dt.date = TODAY) -> bool:
    return data.get("expires") is not None and data["expires"] < today


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recommender(corpus_index: Path, embedder: Embedder) -> Recommender:
    return Recommender.open(Settings(index=corpus_index), embedder=embedder, today=lambda: TODAY)


@pytest.fixture(scope="module")
def results(recommender: Recommender, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "results.jsonl"
    with path.open("a", encoding="utf-8") as out:
        run_batch(recommender, DEALS, JsonLines(out), done=prepare_output(path, resume=False).done)
    return path


@pytest.fixture(scope="module")
def report(recommender: Recommender, results: Path) -> AuditReport:
    options = AuditOptions(today=TODAY, problems=PROBLEMS, results=results)
    return audit_library(recommender.snapshot, options, recommender=recommender)


@pytest.fixture(scope="module")
def front_matter() -> dict[str, dict[str, Any]]:
    return _front_matter()


# ---- near-duplicates --------------------------------------------------------------------------


def test_the_planted_near_duplicates_are_found_and_no_distinct_items_are_paired(report: AuditReport) -> None:
    found = {frozenset(m.item.id for m in c.members) for c in report.duplicates}
    assert found == PLANTED_DUPLICATES


def test_each_cluster_keeps_the_valid_newer_or_more_complete_version(report: AuditReport) -> None:
    keep = {frozenset(m.item.id for m in c.members): c.keep for c in report.duplicates}
    assert keep[frozenset({"roi-guide-2024", "roi-guide-2026"})] == "roi-guide-2026"
    assert (
        keep[frozenset({"cs-meridian-health-reconciliation-2023", "cs-meridian-health-reconciliation"})]
        == "cs-meridian-health-reconciliation"
    )
    assert keep[frozenset({"pricing-sheet-2024", "pricing-overview-2026"})] == "pricing-overview-2026"
    # the two Harbor Point items were updated eight days apart: the full case study is kept
    assert keep[frozenset({"cs-harbor-point-close", "cs-harbor-point-snapshot"})] == "cs-harbor-point-close"
    for cluster in report.duplicates:
        assert cluster.members[0].item.id == cluster.keep and cluster.keep in cluster.advice
        assert all(
            p.alignment is not None and p.alignment >= report.thresholds.duplicate_alignment for p in cluster.pairs
        )


def test_the_recommender_uses_the_same_pairs(recommender: Recommender) -> None:
    """The curator's near-duplicates are the audit's: one rule, recommender.duplicates."""
    snapshot = recommender.snapshot
    pairs = recommender.duplicates.pairs
    assert {
        frozenset({snapshot.documents[p.first].meta.id, snapshot.documents[p.second].meta.id}) for p in pairs
    } == PLANTED_DUPLICATES


def test_no_sections_are_reported_as_copied_in_the_sample_library(report: AuditReport) -> None:
    assert report.section_duplicates == ()


def test_a_section_copied_into_another_item_is_found(tmp_path: Path, embedder: Embedder) -> None:
    shared = (
        "## Data residency\n\nCustomer data is stored in the region chosen at signup, in two availability zones, "
        "encrypted at rest with AES-256 and in transit with TLS 1.2 or later. Backups stay in the same region, "
        "are kept for thirty-five days and are restored in a quarterly drill that the security team reviews "
        "and signs off.\n"
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "security.md").write_text(
        "# Security overview\n\n## Access control\n\nSingle sign-on with SAML, SCIM provisioning, role-based "
        "permissions and segregation of duties between preparers and reviewers.\n\n" + shared,
        encoding="utf-8",
    )
    (tmp_path / "c" / "pricing.md").write_text(
        "# Pricing\n\n## Editions\n\nThree editions priced by modules, legal entities and named users, with a "
        "fixed implementation fee agreed before signature and a cap on renewal increases.\n\n" + shared,
        encoding="utf-8",
    )
    build_index(
        [tmp_path / "c"], options=BuildOptions(index=tmp_path / "i"), embedder=embedder, vocabulary=Vocabulary()
    )
    result = audit_library(
        Recommender.open(Settings(index=tmp_path / "i"), embedder=embedder).snapshot, AuditOptions(today=TODAY)
    )
    assert result.duplicates == ()
    [cluster] = result.section_duplicates
    assert {(m.item.id, m.section) for m in cluster.members} == {
        ("security", "Data residency"),
        ("pricing", "Data residency"),
    }


# ---- freshness and metadata -------------------------------------------------------------------


def test_expired_items_match_the_front_matter(report: AuditReport, front_matter: dict[str, dict[str, Any]]) -> None:
    expected = {i for i, d in front_matter.items() if _expired(d)}
    assert expected >= {"pricing-sheet-2024", "promo-year-end-2025"}
    assert {f.item.id for f in report.expired} == expected
    assert all(f.item.owner for f in report.expired)


def test_stale_items_are_those_not_updated_for_the_given_months(
    report: AuditReport, front_matter: dict[str, dict[str, Any]]
) -> None:
    cutoff = dt.date(TODAY.year - 1, TODAY.month, TODAY.day)
    expected = {i for i, d in front_matter.items() if d.get("updated") and d["updated"] < cutoff and not _expired(d)}
    assert {f.item.id for f in report.stale} == expected
    assert {i.id for i in report.undated} == {i for i, d in front_matter.items() if not d.get("updated")}


def test_today_is_injected_not_read_from_the_clock(recommender: Recommender) -> None:
    early = audit_library(recommender.snapshot, AuditOptions(today=dt.date(2025, 1, 1), stale_months=6))
    assert "pricing-sheet-2024" not in {f.item.id for f in early.expired}
    assert "roi-guide-2026" not in {f.item.id for f in early.stale}
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


def test_items_missing_audience_stages_or_roles_are_listed_with_what_is_missing(
    report: AuditReport, front_matter: dict[str, dict[str, Any]]
) -> None:
    expected = {}
    for item_id, data in front_matter.items():
        missing = tuple(
            name
            for name, present in (
                ("audience", "audience" in data),
                ("stages", _canonical(data.get("stages"), "stages")),
                ("roles", _canonical(data.get("roles"), "roles")),
            )
            if not present
        )
        if missing:
            expected[item_id] = missing
    assert {m.item.id: m.missing for m in report.missing_metadata} == expected
    assert "internal/win-story-notes" in expected  # no front matter at all


# ---- coverage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension,facet,columns", [("role", "roles", ROLES), ("industry", "industries", INDUSTRIES)])
def test_coverage_counts_match_the_front_matter(
    report: AuditReport, front_matter: dict[str, dict[str, Any]], dimension: str, facet: str, columns: tuple[str, ...]
) -> None:
    sendable = {i: d for i, d in front_matter.items() if d.get("audience") == "buyer" and not _expired(d)}
    assert report.sendable == len(sendable)
    matrix = report.coverage_roles if dimension == "role" else report.coverage_industries
    for stage in STAGES:
        for column in columns:
            expected = sorted(
                i
                for i, d in sendable.items()
                if stage in _canonical(d.get("stages"), "stages") and column in _canonical(d.get(facet), facet)
            )
            cell = matrix.cell(stage, column)
            assert sorted(cell.items) == expected, (stage, column)
            assert cell.flag == ("empty" if not expected else "thin" if len(expected) <= matrix.thin_at_most else "ok")
    assert report.summary.empty_cells == len(report.coverage_roles.flagged("empty"))


# ---- problem gaps and unused items ------------------------------------------------------------


def test_problems_nothing_answers_are_gaps_with_the_closest_item(report: AuditReport) -> None:
    gaps = report.problem_gaps
    assert gaps is not None and gaps.checked == 21
    texts = [g.problem for g in gaps.gaps]
    for topic in UNCOVERED:
        assert any(topic.lower() in t.lower() for t in texts), topic
    assert "intercompany eliminations take days every month" not in texts
    assert all(g.closest is not None and g.closest.id for g in gaps.gaps)


def test_gaps_are_exactly_what_the_recommender_reports(report: AuditReport, recommender: Recommender) -> None:
    assert report.problem_gaps is not None
    problems = [
        line.strip()
        for line in PROBLEMS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    expected = [p for p in problems if recommender.recommend(parse_request({"problems": [p]})).gaps]
    assert [g.problem for g in report.problem_gaps.gaps] == expected


def test_never_recommended_lists_every_item_no_batch_result_picked(report: AuditReport, results: Path) -> None:
    picked = {
        item["id"]
        for line in results.read_text(encoding="utf-8").splitlines()
        for item in json.loads(line)["recommendation"]["items"]
    }
    unused = report.never_recommended
    assert unused is not None and unused.results == 12 and unused.damaged_lines == 0
    assert {i.id for i in unused.items} == set(_front_matter()) - picked
    assert picked and not picked & {i.id for i in unused.items}


def test_a_truncated_results_line_is_counted_not_fatal(recommender: Recommender, results: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "results.jsonl"
    damaged.write_bytes(results.read_bytes() + b'{"id": "deal-9", "recommendation": {"ite')
    unused = audit_library(recommender.snapshot, AuditOptions(today=TODAY, results=damaged)).never_recommended
    assert unused is not None and unused.results == 12 and unused.damaged_lines == 1


# ---- a library without front matter -----------------------------------------------------------


@pytest.mark.skipif(not SOURCEGRAPH.is_dir(), reason="the sourcegraph handbook sample is not available")
def test_a_library_without_front_matter_is_audited_and_its_missing_metadata_reported(
    tmp_path: Path, embedder: Embedder
) -> None:
    sample = sorted((SOURCEGRAPH / "sales").rglob("*.md"))[:12]
    for path in sample:
        target = tmp_path / "lib" / path.relative_to(SOURCEGRAPH)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    build_index(
        [tmp_path / "lib"], options=BuildOptions(index=tmp_path / "i"), embedder=embedder, vocabulary=Vocabulary()
    )
    recommender = Recommender.open(Settings(index=tmp_path / "i"), embedder=embedder, today=lambda: TODAY)
    result = audit_library(recommender.snapshot, AuditOptions(today=TODAY, problems=PROBLEMS), recommender=recommender)
    assert result.summary.missing_metadata == result.documents > 0
    assert all(m.missing == ("audience", "stages", "roles") for m in result.missing_metadata)
    assert result.sendable == 0 and len(result.coverage_roles.flagged("empty")) == len(STAGES) * len(ROLES)
    assert result.problem_gaps is not None and len(result.problem_gaps.gaps) == 21  # nothing may be sent to a buyer
    first = result.fix_first[0]
    assert (first.rank, first.severity, first.what) == (
        1,
        "blocker",
        f"0 of {result.documents} items may be sent to buyers",
    )
    assert "audience: buyer" in first.action
    page = render_html(result)
    assert "<table" in page and page.index("Fix first") < page.index("Coverage: buying job x role")


@pytest.mark.skipif(not SOURCEGRAPH.is_dir(), reason="the sourcegraph handbook sample is not available")
def test_pages_from_one_template_about_different_subjects_are_not_duplicates(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    pages = [
        "marketing/process/bitbucket_cloud_vs_sourcegraph.md",
        "marketing/process/bitbucket_server_vs_sourcegraph.md",
        "technical-success/support/team/gabe-readme.md",
        "technical-success/support/team/jason-readme.md",
        "technical-success/support/process/k8-migration.md",
        "technical-success/support/process/enablement/k8-migration.md",
    ]
    for page in pages:
        target = tmp_path / "lib" / page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOURCEGRAPH / page, target)
    build_index(
        [tmp_path / "lib"], options=BuildOptions(index=tmp_path / "i"), embedder=embedder, vocabulary=Vocabulary()
    )
    recommender = Recommender.open(Settings(index=tmp_path / "i"), embedder=embedder, today=lambda: TODAY)
    result = audit_library(recommender.snapshot, AuditOptions(today=TODAY))
    assert [sorted(m.item.id for m in c.members) for c in result.duplicates] == [
        ["technical-success/support/process/enablement/k8-migration", "technical-success/support/process/k8-migration"]
    ]


def test_suggested_metadata_is_written_reviewed_and_applied_without_overwriting(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "soc.md").write_text(
        "# Security overview\n\nWe hold a SOC 2 Type II report, encrypt data at rest and support SSO through Okta.\n",
        encoding="utf-8",
    )
    (library / "story.md").write_text(
        "---\ntype: case-study   # keep this comment\n---\n"
        "# How Acme closed in five days\n\nAcme, a retailer, cut its close from 12 to 5 days.\n",
        encoding="utf-8",
    )
    build_index([library], options=BuildOptions(index=tmp_path / "i"), embedder=embedder, vocabulary=Vocabulary())
    suggestions = tmp_path / "suggest.yaml"
    result = CliRunner().invoke(app, ["audit", "--index", str(tmp_path / "i"), "--suggest", str(suggestions), "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["path"]: e for e in yaml.safe_load(suggestions.read_text(encoding="utf-8"))}
    assert set(entries) == {"soc.md", "story.md"}
    assert "type" not in entries["story.md"]["set"]  # only what is missing is suggested
    assert set(entries["soc.md"]["set"]) == {"type", "stages", "roles"} and "audience" not in entries["soc.md"]["set"]
    entries["soc.md"]["set"] = {"type": "security", "stages": ["validation"]}  # a reviewer's edit, without confidences
    entries["soc.md"]["confidence"] = {}
    entries["story.md"]["apply"] = False
    suggestions.write_text(yaml.safe_dump(list(entries.values())), encoding="utf-8")
    before = (library / "story.md").read_text(encoding="utf-8")
    applied = CliRunner().invoke(app, ["apply-metadata", str(suggestions), "--library", str(library)])
    assert applied.exit_code == 0, applied.output
    written = (library / "soc.md").read_text(encoding="utf-8")
    front, body = written[4:].split("---\n", 1)
    assert (
        yaml.safe_load(front) == {"type": "security", "stages": ["validation"]}
        and body
        == "\n# Security overview\n\n"
        "We hold a SOC 2 Type II report, encrypt data at rest and support SSO through Okta.\n"
    )
    assert (library / "story.md").read_text(encoding="utf-8") == before
    again = CliRunner().invoke(app, ["apply-metadata", str(suggestions), "--library", str(library)])
    assert (
        again.exit_code == 0 and (library / "soc.md").read_text(encoding="utf-8").count("type:") == 1
    )  # never written twice


# ---- the HTML page ----------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def test_the_html_report_is_self_contained(report: AuditReport) -> None:
    page = render_html(report)
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert parser.urls == []
    assert "Coverage: buying job x role" in page and "roi-guide-2026" in page and "payroll" in page
    assert page.count('class="empty"') == len(report.coverage_roles.flagged("empty")) + len(
        report.coverage_industries.flagged("empty")
    )


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_html_report_renders_in_a_headless_browser(report: AuditReport, tmp_path: Path) -> None:
    page, shot = tmp_path / "audit.html", tmp_path / "audit.png"
    page.write_text(render_html(report), encoding="utf-8")
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,1400",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1280, 1400)
    image = pytest.importorskip("PIL.Image").open(shot).convert("RGB")  # Pillow, when installed, checks the pixels
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # not a blank page
    assert any(_reddish(colour) for _, colour in colours)  # the red empty cells of the heatmap


def _reddish(colour: object) -> bool:
    if not isinstance(colour, tuple):
        return False
    r, g, b = colour[:3]
    return bool(r > 200 and g < 235 and b < 235 and r - b > 10)


# ---- the command ------------------------------------------------------------------------------


def test_the_audit_command_prints_json_and_writes_html(corpus_index: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["audit", "--index", str(corpus_index), "--today", "2026-11-27", "--json", "--html", str(html)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["duplicate_clusters"] == len(PLANTED_DUPLICATES) and data["problem_gaps"] is None
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_audit_command_explains_a_bad_date(corpus_index: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "--index", str(corpus_index), "--today", "27/11/2026"])
    assert result.exit_code == 2 and "2026-11-27" in result.output


def test_the_docs_describe_every_option_of_the_audit_and_batch_commands() -> None:
    import typer.main

    docs = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name in ("audit", "batch"):
        command = group.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            for option in (o for o in param.opts if o.startswith("--") and o != "--help"):
                assert f"{option}" in docs, f"docs/audit.md does not mention {name} {option}"
