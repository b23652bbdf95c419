"""indexer.sources: only regular files inside the library are read, within the size cap; gitignore rules."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from indexer.documents import read_document
from indexer.errors import RecommenderError
from indexer.issues import FileIssue, Severity
from indexer.sources import SourceFile, discover, read_source
from indexer.vocabulary import Vocabulary


def write(path: Path, text: str = "# Title\n\nSome text.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def skipped_by_path(issues: list[FileIssue]) -> dict[str, str]:
    assert all(i.severity is Severity.SKIPPED for i in issues), issues
    return {i.path: i.what for i in issues}


def test_links_out_of_the_library_and_to_devices_are_reported_not_read(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write(library / "good.md")
    outside = write(tmp_path / "secret.md", "# Secret\n\nnot part of the library\n")
    os.symlink(outside, library / "outside.md")
    os.symlink("/etc/passwd", library / "passwd.md")
    os.symlink("/dev/zero", library / "zero.md")
    os.symlink(library / "nowhere.md", library / "dangling.md")
    files, issues = discover([library])
    assert [f.rel_path for f in files] == ["good.md"]
    reasons = skipped_by_path(issues)
    assert set(reasons) == {"outside.md", "passwd.md", "zero.md", "dangling.md"}
    assert reasons["passwd.md"] == "a link to /etc/passwd, outside the library folder; not read"
    assert reasons["zero.md"] == "a link to /dev/zero, outside the library folder; not read"
    assert "outside the library folder" in reasons["outside.md"]
    assert reasons["dangling.md"] == "a link to nothing"


def test_a_link_to_a_file_inside_the_library_is_read(tmp_path: Path) -> None:
    library = tmp_path / "library"
    target = write(library / "shared" / "guide.md", "# Guide\n\nThe real text.\n")
    os.symlink(target, library / "alias.md")
    files, issues = discover([library])
    assert issues == []
    assert [f.rel_path for f in files] == ["alias.md", "shared/guide.md"]
    data, problem = read_source(files[0], max_bytes=1000)
    assert problem is None and data == b"# Guide\n\nThe real text.\n"


def test_fifo_socket_and_folder_link_are_reported(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write(library / "good.md")
    os.mkfifo(library / "pipe.md")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(library / "sock.md"))
    os.symlink(tmp_path, library / "elsewhere")
    try:
        files, issues = discover([library])
    finally:
        server.close()
    assert [f.rel_path for f in files] == ["good.md"]
    assert skipped_by_path(issues) == {
        "pipe.md": "not a regular file (a FIFO); not read",
        "sock.md": "not a regular file (a socket); not read",
        "elsewhere": "a link to a folder; links to folders are not followed",
    }


def test_reading_a_fifo_returns_at_once_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    """A file swapped for a FIFO after discovery is checked again at open, which never blocks."""
    os.mkfifo(tmp_path / "pipe.md")
    result: list[object] = []
    reader = threading.Thread(
        target=lambda: result.append(read_source(SourceFile(tmp_path / "pipe.md", "pipe.md"), max_bytes=100)),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    [(data, problem)] = result  # type: ignore[misc]
    assert data is None and problem.what == "not a regular file (a FIFO); not read"


def test_a_named_device_is_refused_without_reading_it() -> None:
    data, problem = read_source(SourceFile(Path("/dev/zero"), "zero.md"), max_bytes=100)
    assert data is None and problem is not None and problem.what == "not a regular file (a character device); not read"


def test_a_file_over_the_size_cap_is_reported_and_the_cap_is_a_setting(tmp_path: Path) -> None:
    big = write(tmp_path / "big.md", "# Big\n\n" + "word " * 500)
    document, issues = read_document(SourceFile(big, "big.md"), Vocabulary(), max_bytes=1000)
    assert document is None
    [issue] = issues
    assert issue.severity is Severity.SKIPPED
    assert issue.what == "file is 2,507 bytes, over the 1,000 bytes size cap; not read"
    assert "RECOMMENDER_MAX_FILE_BYTES" in issue.fix
    document, issues = read_document(SourceFile(big, "big.md"), Vocabulary(), max_bytes=10_000)
    assert document is not None and issues == []


def test_the_default_cap_is_two_megabytes(tmp_path: Path) -> None:
    from indexer.settings import Settings

    assert Settings().max_file_bytes == 2_000_000
    assert Settings(_env_file=None, max_file_bytes=5).max_file_bytes == 5  # type: ignore[call-arg]
    big = write(tmp_path / "big.md", "# Big\n\n" + "x" * 2_000_000)
    _, issues = read_document(SourceFile(big, "big.md"), Vocabulary())
    assert [i.what for i in issues] == ["file is 2.0 MB, over the 2.0 MB size cap; not read"]


def test_a_file_name_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write(library / "good.md")
    with open(os.path.join(os.fsencode(library), b"caf\xe9.md"), "w", encoding="utf-8") as handle:
        handle.write("# Cafe\n\ntext\n")
    files, issues = discover([library])
    assert [f.rel_path for f in files] == ["good.md"]
    assert skipped_by_path(issues) == {"caf\\udce9.md": "file name is not UTF-8 text; not read"}


def test_a_control_character_in_a_file_name_is_shown_escaped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "new\nline.md")  # a FIFO, so that discovery reports it
    _, issues = discover([tmp_path])
    assert [i.path for i in issues] == ["new\\nline.md"]


@pytest.mark.parametrize(
    ("rules", "kept"),
    [
        ("internal/\n", ["guide.md", "notes/internal.md"]),  # a folder rule ignores the folder, at any depth
        ("/internal/\n", ["guide.md", "notes/internal.md", "sub/internal/deep.md"]),  # anchored to the root
        ("internal/*\n", ["guide.md", "notes/internal.md", "sub/internal/deep.md"]),
        ("*.md\n!guide.md\n", ["guide.md"]),  # a later '!' rule takes a file back
        (
            "# a comment\n\n",
            ["guide.md", "internal/a.md", "internal/b/c.md", "notes/internal.md", "sub/internal/deep.md"],
        ),
    ],
)
def test_recommenderignore_follows_gitignore_rules(tmp_path: Path, rules: str, kept: list[str]) -> None:
    write(tmp_path / ".recommenderignore", rules)
    for rel in ["guide.md", "internal/a.md", "internal/b/c.md", "notes/internal.md", "sub/internal/deep.md"]:
        write(tmp_path / rel)
    files, issues = discover([tmp_path])
    assert issues == []
    assert [f.rel_path for f in files] == kept


@pytest.mark.parametrize("kind", ["fifo", "link_out", "folder"])
def test_a_recommenderignore_that_cannot_be_read_safely_stops_the_build(tmp_path: Path, kind: str) -> None:
    """Indexing without its rules could publish what it keeps out, so it fails closed."""
    library = tmp_path / "library"
    write(library / "internal" / "secret.md")
    ignore = library / ".recommenderignore"
    if kind == "fifo":
        os.mkfifo(ignore)
    elif kind == "link_out":
        os.symlink(write(tmp_path / "rules", "internal/\n"), ignore)
    else:
        ignore.mkdir()
    with pytest.raises(RecommenderError, match=r"cannot use .*\.recommenderignore: .*; nothing was indexed"):
        discover([library])
