"""A library with every hostile file the adversarial test found (issue 14), indexed for real from the CLI.

Each bad file is reported and skipped (or indexed without its bad part) and the rest of the library is
indexed; bad metadata fails closed: an unreadable expiry keeps the item from buyers, an unsafe link is
never stored or served. Built once with the real model through the installed `recommender` command.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from indexer.embed import Embedder
from indexer.settings import Settings
from recommender.audit import AuditOptions, audit_library
from recommender.service import Recommender, parse_request
from tests.test_cli_index import recommender as run_cli
from tests.test_parse import alias_bomb

TODAY = dt.date(2026, 11, 27)
CLOSE = "month-end close takes twelve days and the auditors want evidence"
BODY = "# Faster month-end close\n\nClose the books in five days instead of twelve, with evidence for every auditor.\n"


def front(**fields: str) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "---\n" + BODY


def hostile_library(folder: Path, outside: Path) -> Path:
    folder.mkdir(parents=True)
    files = {
        "good.md": front(id="good", audience="buyer", type="case-study"),
        "bomb.md": alias_bomb() + "\n" + BODY,
        "expiry.md": front(id="bad-expiry", audience="buyer", expires="2020-13-45"),
        "script-link.md": front(id="script-link", audience="buyer", url='"javascript:alert(4)"'),
        "big.md": "# Big\n\n" + "words and more words " * 110_000,  # 2.3 MB, over the 2 MB cap
        "new\nline.md": BODY,
        "internal/secret.md": "# Secret pricing floor\n\nNever share this.\n",
    }
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    (folder / ".recommenderignore").write_text("internal/\n", encoding="utf-8")
    outside.write_text("# A system file\n\nroot:x:0:0\n", encoding="utf-8")
    os.symlink(outside, folder / "outside.md")
    os.symlink("/dev/zero", folder / "zero.md")
    os.mkfifo(folder / "pipe.md")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, exports: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    base = tmp_path_factory.mktemp("hostile")
    library = hostile_library(base / "library", base / "system-file.md")
    index = base / "index"
    result = run_cli(
        "index", library, "--index", index, "--json", cwd=base, env={"RECOMMENDER_ENCODER_CACHE": str(exports)}
    )
    return index, result


@pytest.fixture(scope="module")
def served(built: tuple[Path, subprocess.CompletedProcess[str]], embedder: Embedder) -> Recommender:
    return Recommender.open(Settings(index=built[0]), embedder=embedder, today=lambda: TODAY)


@pytest.mark.slow
def test_the_cli_indexes_the_rest_and_reports_every_hostile_file(
    built: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = built
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 5  # good, bomb, expiry, script-link and the new-line file
    issues = {(i["path"], i["severity"]): i["what"] for i in summary["issues"]}
    assert (
        issues[("outside.md", "skipped")].startswith("a link to ")
        and "outside the library" in issues[("outside.md", "skipped")]
    )
    assert issues[("zero.md", "skipped")] == "a link to /dev/zero, outside the library folder; not read"
    assert issues[("pipe.md", "skipped")] == "not a regular file (a FIFO); not read"
    assert issues[("big.md", "skipped")] == "file is 2.3 MB, over the 2.0 MB size cap; not read"
    assert "refused as a possible alias bomb" in issues[("bomb.md", "warning")]
    assert (
        issues[("new\\nline.md", "warning")]
        == "the file name has control or invisible characters; its id is 'new-line'"
    )
    assert "withheld from buyers" in issues[("expiry.md", "warning")]
    assert "'javascript:alert(4)' is not an http, https or mailto link" in issues[("script-link.md", "warning")]
    assert not any(path.startswith("internal/") for path, _ in issues)  # ignored by 'internal/', not reported


@pytest.mark.slow
def test_progress_lines_go_to_stderr_when_it_is_not_a_terminal(
    built: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    lines = [line for line in built[1].stderr.splitlines() if line.startswith("progress: ")]
    assert "progress: reading 0/6" in lines and "progress: reading 6/6" in lines  # big.md is refused as it is read
    assert any(line.startswith("progress: embedding ") for line in lines)
    assert lines[-1] == "progress: writing index 1/1"


@pytest.mark.slow
def test_an_unreadable_expiry_keeps_the_item_from_buyers_not_from_sellers(served: Recommender) -> None:
    buyer = served.recommend(parse_request({"problems": [CLOSE], "max_items": 10}))
    seller = served.recommend(parse_request({"problems": [CLOSE], "max_items": 10, "audience": "seller"}))
    assert "bad-expiry" not in [item.id for item in buyer.items]
    assert "good" in [item.id for item in buyer.items]
    assert "bad-expiry" in [item.id for item in seller.items]


@pytest.mark.slow
def test_an_unsafe_link_is_never_stored_or_served(served: Recommender, built: tuple[Path, object]) -> None:
    document = served.snapshot.documents[served.snapshot.document_index("script-link")]  # type: ignore[index]
    assert document.meta.url is None
    answer = served.recommend(parse_request({"problems": [CLOSE], "max_items": 10}))
    assert [item.url for item in answer.items if item.id == "script-link"] == [None]
    db = sqlite3.connect(f"file:{built[0] / 'current' / 'content.sqlite'}?mode=ro", uri=True)
    try:
        stored = [json.loads(meta) for (meta,) in db.execute("SELECT meta FROM documents")]
    finally:
        db.close()
    assert len(stored) == 5 and not any("javascript" in json.dumps(meta) for meta in stored)


@pytest.mark.slow
def test_the_audit_lists_the_withheld_item(served: Recommender) -> None:
    report = audit_library(served.snapshot, AuditOptions(today=TODAY), recommender=served)
    withheld = [f for f in report.expired if f.status == "withheld"]
    assert [f.item.id for f in withheld] == ["bad-expiry"]
    assert "'expires: 2020-13-45' is not a date; withheld from buyers until it is fixed" in withheld[0].detail
    [fix] = [f for f in report.fix_first if "withheld" in f.what]
    assert fix.what == "1 items have an 'expires' that is not a date and are withheld from buyers"


@pytest.mark.slow
def test_the_summary_names_each_kind_of_skip_once(built: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    index = built[0]
    result = run_cli("index", index.parent / "library", "--index", index, cwd=index.parent)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert (
        "Skipped because: a link outside the library folder; file over the 2.0 MB size cap; not a regular file "
        "(details above)." in result.stderr
    )
    assert "0 added, 0 updated, 0 removed, 5 unchanged, 4 skipped" in result.stderr
