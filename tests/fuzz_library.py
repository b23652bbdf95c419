"""Hypothesis strategies for hostile markdown libraries, and the check every generated library must pass.

Shared by the fuzz test (tests/test_fuzz_index.py, a small sample) and the benchmark
(benchmarks/fuzz_index.py, thousands of cases). A case is a folder of generated files: markdown with
generated front matter (nasty YAML included) and bodies, and other kinds - empty, binary, not UTF-8,
over the size cap, FIFOs, links inside and outside the library, links to devices, dangling links,
folders named like markdown. The check reads the library the way a build does (discovery, then
each file) and asserts that every file is either indexed or reported, with no exception, no hang.
"""

from __future__ import annotations

import os
import signal
import string
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from indexer.documents import Document, read_document
from indexer.issues import FileIssue, Severity
from indexer.metadata import ContentMeta, is_safe_url
from indexer.sources import discover
from indexer.vocabulary import Vocabulary

FUZZ_MAX_BYTES = 20_000  # a small cap, so "over the cap" files stay cheap to write
CASE_SECONDS = 20  # a case that takes longer than this is a hang

KINDS = (
    "markdown",
    "markdown",
    "markdown",
    "empty",
    "binary",
    "latin1",
    "oversized",
    "fifo",
    "link_inside",
    "link_outside",
    "link_device",
    "link_dangling",
    "folder",
)

_NAME_CHARS = st.characters(
    blacklist_categories=("Cs",),  # a str name with a lone surrogate cannot be made from Python; tested apart
    blacklist_characters="/\x00",
)
file_names = st.text(_NAME_CHARS, min_size=1, max_size=24).map(lambda s: s + ".md")

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.dates().map(str),
    st.sampled_from(["buyer", "internal", "Buyer", "seller", "2020-13-45", "javascript:alert(4)", "https://x.example"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_FIELDS = st.sampled_from(
    [
        "id",
        "title",
        "type",
        "summary",
        "audience",
        "stages",
        "roles",
        "industries",
        "products",
        "problems",
        "updated",
        "expires",
        "owner",
        "url",
        "language",
        "other",
    ]
)
generated_yaml = st.dictionaries(_FIELDS, _VALUES, max_size=8).map(
    lambda d: yaml.safe_dump(d, allow_unicode=True, default_flow_style=None)
)


def _alias_bomb(levels: int, fan_out: int) -> str:
    names = [f"n{i}" for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * fan_out)}]"]
    lines += [f"{b}: &{b} [{', '.join(['*' + a] * fan_out)}]" for a, b in zip(names, names[1:], strict=False)]
    return "\n".join(lines) + f"\nproblems: *{names[-1]}\n"


nasty_yaml = st.one_of(
    st.builds(_alias_bomb, st.integers(2, 10), st.integers(2, 12)),
    st.integers(1, 3000).map(lambda n: "x: " + "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: "x:\n" + "- " * n + "y"),
    st.sampled_from(
        [
            "!!python/object/apply:os.system ['echo pwned']",
            "title: !!binary aGVsbG8=",
            "a: &a [*a]",
            "? [a, b]\n: c",
            "title: 'unclosed",
            "\tid: tab",
            'title: "\\udcff"',
            'title: "\\0nul"',
            "expires: 2020-13-45\naudience: buyer",
            "url: javascript:alert(4)\naudience: buyer",
            'id: "abc\\n"',
            "{}",
            "[]",
            "- a\n- b",
            "just text",
            "id: " + "x" * 70_000,
        ]
    ),
    st.text(max_size=300),
)
front_matter = st.one_of(st.none(), generated_yaml, nasty_yaml)

_INLINE = st.one_of(
    st.text(string.ascii_letters + " ", min_size=1, max_size=60),
    st.text(max_size=40),
    st.sampled_from(["**bold**", "`code`", "[link](javascript:x)", "<br>", "![img](a.png)", "&amp;", "\\", "*", "_"]),
)
_BLOCKS = st.one_of(
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 7), _INLINE),
    _INLINE,
    st.lists(_INLINE, min_size=1, max_size=5).map(lambda items: "\n".join("- " + i for i in items)),
    st.lists(_INLINE, min_size=1, max_size=4).map(
        lambda cells: "| " + " | ".join(cells) + " |\n|" + "---|" * len(cells)
    ),
    st.builds(lambda text: f"```\n{text}\n```", st.text(max_size=80)),
    st.builds(lambda text: f"<table><tr><td>{text}</td></tr></table>", _INLINE),
    st.builds(lambda text: f"<script>{text}</script>", _INLINE),
    st.integers(1, 200).map(lambda n: ">" * n + " quoted"),
    st.integers(1, 500).map(lambda n: "[" * n + "x" + "]" * n),
    st.integers(1, 200).map(lambda n: "*" * n + "a" + "_" * n),
)
bodies = st.lists(_BLOCKS, max_size=12).map(lambda blocks: "\n\n".join(blocks))


@st.composite
def markdown(draw: st.DrawFn) -> bytes:
    fields = draw(front_matter)
    body = draw(bodies)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    text = body if fields is None else f"---\n{fields}\n---\n{body}"
    return (bom + text.replace("\n", newline)).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class FuzzFile:
    name: str
    kind: str
    data: bytes = b""


@st.composite
def fuzz_files(draw: st.DrawFn) -> FuzzFile:
    kind = draw(st.sampled_from(KINDS))
    name = draw(file_names)
    if kind == "markdown":
        return FuzzFile(name, kind, draw(markdown()))
    data = {
        "binary": b"\x00\x01\x02binary\xff" * draw(st.integers(1, 50)),
        "latin1": "# Caf\xe9\n\nold export\n".encode("latin-1"),
        "oversized": b"# Big\n\n" + b"word " * draw(st.integers(FUZZ_MAX_BYTES // 5, FUZZ_MAX_BYTES // 2)),
    }.get(kind, b"")
    return FuzzFile(name, kind, data)


libraries = st.lists(fuzz_files(), min_size=1, max_size=8, unique_by=lambda f: f.name.lower())


def materialise(files: list[FuzzFile], folder: Path, outside: Path) -> None:
    """Write the generated files into `folder`; `outside` is a regular file outside it (a link target)."""
    folder.mkdir(parents=True)
    for f in files:
        path = folder / f.name
        if f.kind == "fifo":
            os.mkfifo(path)
        elif f.kind == "folder":
            path.mkdir()
        elif f.kind == "link_inside":
            (folder / ".target").write_text("# Target\n\ninside the library\n", encoding="utf-8")
            os.symlink(folder / ".target", path)
        elif f.kind == "link_outside":
            os.symlink(outside, path)
        elif f.kind == "link_device":
            os.symlink("/dev/zero", path)
        elif f.kind == "link_dangling":
            os.symlink(folder / "nowhere", path)
        else:
            path.write_bytes(f.data)


@dataclass(frozen=True)
class Outcome:
    documents: int
    skipped: int
    warnings: int
    reasons: Counter[str]


class Hang(Exception):
    """A case ran past CASE_SECONDS."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"reading the library took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def read_library(folder: Path, *, max_bytes: int = FUZZ_MAX_BYTES) -> tuple[list[Document], list[FileIssue]]:
    """What a build reads from `folder`: discovery, then every file; no exception may escape."""
    with deadline(CASE_SECONDS):
        files, issues = discover([folder])
        documents = []
        for source in files:
            document, found = read_document(source, Vocabulary(), max_bytes=max_bytes)
            issues.extend(found)
            if document is not None:
                documents.append(document)
    return documents, issues


def check_library(files: list[FuzzFile], folder: Path) -> Outcome:
    """Every generated file is indexed or reported as skipped; what is indexed is safe to store and serve."""
    documents, issues = read_library(folder)
    expected = {f.name for f in files if not f.name.startswith(".") and f.kind != "folder"}
    indexed = {d.rel_path for d in documents}
    skipped = [i for i in issues if i.severity is Severity.SKIPPED]
    for issue in issues:
        assert issue.what and issue.fix, issue
        assert "\n" not in issue.path and "\r" not in issue.path, issue
        assert "Traceback" not in issue.what
    shown = {i.path for i in skipped}
    for name in expected - indexed:
        assert any(_shown(name) == path for path in shown), f"{name!r} neither indexed nor reported: {issues}"
    for document in documents:
        _check_document(document)
    return Outcome(
        documents=len(documents),
        skipped=len(skipped),
        warnings=len(issues) - len(skipped),
        reasons=Counter(_reason(i.what) for i in issues),
    )


def _shown(name: str) -> str:
    from indexer.issues import printable

    return printable(name)


def _check_document(document: Document) -> None:
    meta = document.meta
    assert ContentMeta.model_validate_json(meta.model_dump_json()) == meta  # stored and loaded unchanged
    assert meta.id and not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in meta.id), meta.id
    assert meta.url is None or is_safe_url(meta.url), meta.url
    assert meta.expires is None or meta.expires_invalid is None
    for section in document.sections:
        section.text.encode("utf-8")  # sqlite stores it as UTF-8
        section.heading.encode("utf-8")


def _reason(what: str) -> str:
    """The kind of problem, without the file's own details: its first words, paths and numbers left out."""
    words = what.replace("'", " ").replace("(", " ").split()
    return " ".join([word for word in words if "/" not in word and not any(ch.isdigit() for ch in word)][:5])
