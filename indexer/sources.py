"""Which files a library holds, and reading one safely.

Only regular files inside the library are read: a link is followed only when its target is a
regular file inside the library folder, and FIFOs, sockets and devices are reported, never read
(opened with O_NONBLOCK and checked with fstat first, so a FIFO cannot block the build). A file
over the size cap is reported, not read. `.recommenderignore` follows gitignore rules (pathspec).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from indexer.errors import RecommenderError
from indexer.issues import FileIssue, Severity, printable

IGNORE_FILE = ".recommenderignore"
DEFAULT_MAX_FILE_BYTES = 2_000_000
MAX_IGNORE_BYTES = 1_000_000
_SIZE_FIX = "split it into smaller files, or raise the cap (RECOMMENDER_MAX_FILE_BYTES)"
_KIND_FIX = "remove it from the library folder, or list it in .recommenderignore"


@dataclass(frozen=True)
class SourceFile:
    """One markdown file to read: its path, its path inside the library, and the library folder (None: named alone)."""

    path: Path
    rel_path: str  # relative to the root it was found under, with forward slashes
    library: Path | None = None  # the resolved library folder the file (or its link's target) must stay inside


def discover(paths: Sequence[Path]) -> tuple[list[SourceFile], list[FileIssue]]:
    """Every .md file under `paths` (recursively), in a stable order; what cannot be read is reported."""
    found: list[SourceFile] = []
    issues: list[FileIssue] = []
    for root in paths:
        if not root.exists():
            issues.append(_missing(root))
        elif root.is_dir():
            found.extend(_walk(root, issues))
        else:
            _accept(SourceFile(root, root.name), found, issues)
    return sorted(found, key=lambda f: (f.rel_path, str(f.path))), issues


def _missing(root: Path) -> FileIssue:
    if root.is_symlink():
        return FileIssue(str(root), "a link to nothing", "point the link at a file, or remove it", Severity.SKIPPED)
    return FileIssue(
        str(root), "path does not exist", "check the path you gave to 'recommender index'", Severity.SKIPPED
    )


def _accept(source: SourceFile, found: list[SourceFile], issues: list[FileIssue]) -> None:
    problem = check_source(source)
    if problem is None:
        found.append(source)
    else:
        issues.append(problem)


def ignore_spec(root: Path) -> pathspec.PathSpec:
    """The gitignore rules in `<root>/.recommenderignore` (none when there is no such file).

    One that exists but cannot be read safely stops the build: indexing without its rules could
    publish what it was written to keep out."""
    path = root / IGNORE_FILE
    if not (path.exists() or path.is_symlink()):
        return pathspec.GitIgnoreSpec.from_lines([])
    data, problem = read_source(SourceFile(path, IGNORE_FILE, root.resolve()), max_bytes=MAX_IGNORE_BYTES)
    if data is None:
        assert problem is not None
        raise RecommenderError(
            f"cannot use {path}: {problem.what}; nothing was indexed",
            hint="Make it a plain text file of gitignore rules inside the library, or remove it.",
        )
    return pathspec.GitIgnoreSpec.from_lines(data.decode("utf-8", errors="replace").splitlines())


def _walk(root: Path, issues: list[FileIssue]) -> Iterator[SourceFile]:
    def on_error(exc: OSError) -> None:
        where = str(exc.filename or root)
        issues.append(
            FileIssue(where, f"cannot read folder ({exc.strerror})", "check its permissions", Severity.SKIPPED)
        )

    library = root.resolve()
    ignored = ignore_spec(root)
    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        base = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if _walk_into(base / d, root, ignored, issues))
        for name in sorted(filenames):
            if name.lower().endswith(".md") and not name.startswith("."):
                rel_path = (base / name).relative_to(root).as_posix()
                if not ignored.match_file(rel_path):
                    source = SourceFile(base / name, rel_path, library)
                    problem = check_source(source)
                    if problem is None:
                        yield source
                    else:
                        issues.append(problem)


def _walk_into(folder: Path, root: Path, ignored: pathspec.PathSpec, issues: list[FileIssue]) -> bool:
    """Whether the walk enters `folder`: not hidden, not ignored, not a link (a link is reported, not followed)."""
    rel_path = folder.relative_to(root).as_posix()
    if folder.name.startswith(".") or ignored.match_file(rel_path + "/"):
        return False
    if folder.is_symlink():
        issues.append(
            FileIssue(
                printable(rel_path),
                "a link to a folder; links to folders are not followed",
                "move or copy the folder into the library",
                Severity.SKIPPED,
            )
        )
        return False
    return True


def check_source(source: SourceFile) -> FileIssue | None:
    """Why `source` may not be read (a link out of the library, not a regular file), or None: it may."""
    if not _is_utf8(source.rel_path):
        return _skipped(source, "file name is not UTF-8 text; not read", "rename the file")
    try:
        target = source.path.resolve(strict=True)
        info = os.stat(target)
    except (OSError, RuntimeError) as exc:
        what = "a link to nothing" if source.path.is_symlink() else f"cannot read file ({_reason(exc)})"
        return _skipped(source, what, "check that it exists and is readable")
    if source.library is not None and not target.is_relative_to(source.library):
        return _skipped(
            source,
            f"a link to {printable(str(target))}, outside the library folder; not read",
            "copy the file into the library folder, or remove the link",
        )
    return _kind_problem(source, info.st_mode)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind_problem(source: SourceFile, mode: int) -> FileIssue | None:
    if stat.S_ISREG(mode):
        return None
    return _skipped(source, f"not a regular file ({_kind(mode)}); not read", _KIND_FIX)


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


def read_source(source: SourceFile, *, max_bytes: int) -> tuple[bytes | None, FileIssue | None]:
    """The bytes of `source`, or why it was not read: checked again at open, never blocking, never over `max_bytes`."""
    problem = check_source(source)
    if problem is not None:
        return None, problem
    try:
        fd = os.open(source.path.resolve(strict=True), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, RuntimeError) as exc:
        return None, _skipped(source, f"cannot read file ({_reason(exc)})", "check that it exists and is readable")
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if (problem := _kind_problem(source, info.st_mode)) is not None:
            return None, problem
        if info.st_size > max_bytes:
            return None, _too_big(source, info.st_size, max_bytes)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew after the check
        return None, _too_big(source, len(data), max_bytes)
    return data, None


def _too_big(source: SourceFile, size: int, max_bytes: int) -> FileIssue:
    return _skipped(
        source, f"file is {_megabytes(size)}, over the {_megabytes(max_bytes)} size cap; not read", _SIZE_FIX
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or exc.__class__.__name__


def _skipped(source: SourceFile, what: str, fix: str) -> FileIssue:
    return FileIssue(printable(source.rel_path), what, fix, Severity.SKIPPED)
