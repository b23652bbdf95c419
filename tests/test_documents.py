"""indexer.documents: finding markdown files and reading each into a Document, or an issue."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from indexer.documents import SourceFile, discover, read_document, reading_minutes
from indexer.issues import FileIssue, Severity
from indexer.vocabulary import Vocabulary


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def read(path: Path, rel_path: str | None = None) -> tuple[object, list[FileIssue]]:
    return read_document(SourceFile(path, rel_path or path.name), Vocabulary())


def skipped(issues: list[FileIssue]) -> FileIssue:
    [issue] = [i for i in issues if i.severity is Severity.SKIPPED]
    return issue


# ---- discover ------------------------------------------------------------------------------


def test_discover_finds_markdown_recursively_in_a_stable_order(tmp_path: Path) -> None:
    for rel in ["b.md", "a/z.md", "a/c.MD", "notes.txt", ".hidden.md", ".git/x.md", "a/.drafts/y.md"]:
        write(tmp_path / rel, "# x\ntext\n")
    files, issues = discover([tmp_path])
    assert issues == []
    assert [f.rel_path for f in files] == ["a/c.MD", "a/z.md", "b.md"]
    assert all(f.path == tmp_path / f.rel_path for f in files)


def test_discover_takes_single_files_and_several_roots(tmp_path: Path) -> None:
    one = write(tmp_path / "one" / "deep" / "x.md", "# x\n")
    write(tmp_path / "two" / "y.md", "# y\n")
    files, issues = discover([one, tmp_path / "two"])
    assert issues == []
    assert [(f.rel_path, f.path) for f in files] == [("x.md", one), ("y.md", tmp_path / "two" / "y.md")]


def test_discover_reports_a_missing_path_and_keeps_the_others(tmp_path: Path) -> None:
    write(tmp_path / "ok.md", "# ok\n")
    missing = tmp_path / "nope"
    files, issues = discover([missing, tmp_path])
    assert [f.rel_path for f in files] == ["ok.md"]
    [issue] = issues
    assert issue.path == str(missing)
    assert issue.severity is Severity.SKIPPED
    assert "does not exist" in issue.what
    assert "recommender index" in issue.fix


# ---- read_document: good input -------------------------------------------------------------


def test_a_good_file_becomes_a_document(tmp_path: Path) -> None:
    source = "---\ntitle: Close guide\n---\n# Close guide\n\nintro words here\n\n## Steps\n\n- one\n- two\n\n## Empty\n"
    path = write(tmp_path / "guides" / "close.md", source)
    document, issues = read(path, "guides/close.md")
    assert issues == []
    assert document is not None
    assert document.meta.id == "guides/close"
    assert [s.heading for s in document.sections] == ["Close guide", "Steps"]  # the empty section is dropped
    assert document.word_count == 3 + 4
    assert document.reading_minutes == 1
    assert document.content_hash == hashlib.sha256(source.encode("utf-8")).hexdigest()


def test_reading_minutes_round_up() -> None:
    assert [reading_minutes(n) for n in (0, 1, 230, 231, 2300)] == [1, 1, 1, 2, 10]


def test_a_byte_order_mark_is_not_content(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.md", "\ufeff---\ntitle: Marked\n---\n# H\nbody\n".encode("utf-8"))
    document, issues = read(path)
    assert issues == []
    assert document is not None and document.meta.title == "Marked"


# ---- read_document: bad input --------------------------------------------------------------


def test_non_utf8_file_is_skipped_with_its_line(tmp_path: Path) -> None:
    data = "# Café\n\nline two\nline three has ".encode() + "déjà vu".encode("latin-1") + b"\n"
    path = write(tmp_path / "latin.md", data)
    document, issues = read(path)
    assert document is None
    issue = skipped(issues)
    assert issue.path == "latin.md"
    assert issue.line == 4
    assert "not UTF-8" in issue.what and "0xe9" in issue.what
    assert "UTF-8" in issue.fix


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    document, issues = read(path)
    assert document is None
    assert "binary" in skipped(issues).what


def test_utf16_file_is_reported_not_garbled(tmp_path: Path) -> None:
    path = write(tmp_path / "utf16.md", "# Title\nbody\n".encode("utf-16"))
    document, issues = read(path)
    assert document is None
    assert skipped(issues).path == "utf16.md"


@pytest.mark.parametrize("data", [b"", b"   \n\n\t  \r\n", "\ufeff\n".encode("utf-8")])
def test_empty_or_whitespace_only_file_is_skipped(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "empty.md", data)
    document, issues = read(path)
    assert document is None
    issue = skipped(issues)
    assert issue.what in ("empty file", "file has no text to index")
    assert issue.fix == "add content or remove the file"


def test_front_matter_only_file_has_no_text_to_index(tmp_path: Path) -> None:
    path = write(tmp_path / "meta-only.md", "---\ntitle: Nothing else\n---\n\n# Heading only\n")
    document, issues = read(path)
    assert document is None
    assert skipped(issues).what == "file has no text to index"


def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.md", "# secret\ntext\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user (root) who can read a chmod 000 file")
        document, issues = read(path)
    finally:
        path.chmod(0o644)
    assert document is None
    issue = skipped(issues)
    assert "cannot read file" in issue.what and "Permission denied" in issue.what
    assert "readable" in issue.fix


def test_missing_file_is_skipped(tmp_path: Path) -> None:
    document, issues = read(tmp_path / "gone.md", "gone.md")
    assert document is None
    issue = skipped(issues)
    assert issue.path == "gone.md"
    assert "cannot read file" in issue.what and "No such file" in issue.what


def test_front_matter_problems_are_warnings_and_the_file_is_indexed(tmp_path: Path) -> None:
    path = write(tmp_path / "w.md", "---\ntitle: [broken\n---\n# Fine body\ntext\n")
    document, issues = read(path)
    assert document is not None
    assert document.meta.title == "Fine body"
    [issue] = issues
    assert issue.severity is Severity.WARNING
    assert issue.line == 2


def test_issues_render_with_path_line_and_fix() -> None:
    issue = FileIssue("a/b.md", "something is wrong", "do this", Severity.WARNING, line=7)
    assert issue.render() == "a/b.md:7: something is wrong - do this"
    assert FileIssue("a/b.md", "x", "y").render() == "a/b.md: x - y"


def test_a_folder_named_like_markdown_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.md"
    folder.mkdir()
    document, issues = read(folder)
    assert document is None
    assert "not a regular file (a folder)" in skipped(issues).what


def test_recommenderignore_leaves_listed_files_out(tmp_path: Path) -> None:
    write(tmp_path / ".recommenderignore", "# not content\nREADME.md\ndrafts/*\n")
    for rel in ["README.md", "guide.md", "drafts/wip.md", "sub/README.md"]:
        write(tmp_path / rel, "# x\ntext\n")
    files, issues = discover([tmp_path])
    assert issues == []
    assert [f.rel_path for f in files] == ["guide.md"]  # a bare name matches in every folder
