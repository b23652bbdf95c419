"""Markdown -> front matter plus sections of plain text, using markdown-it-py.

Sections come from headings and keep their heading path, so a recommendation can point at the
part worth reading. Plain text keeps lists as "- item" lines and table rows as "cell | cell", with
no markup, so the embedder and the keyword index read what a person reads.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from indexer.issues import FileIssue, Severity

MAX_FRONT_MATTER_CHARS = 64_000  # real front matter is a few hundred characters
MAX_ALIASES = 16  # YAML aliases (*name) in one front matter: enough for real use, too few for an alias bomb
MAX_FLOW_DEPTH = 32  # nested [ and { : PyYAML's scanner takes time quadratic in this depth
_BRACKET = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Section:
    """A heading and the plain text under it (up to the next heading)."""

    heading: str
    heading_path: tuple[str, ...]
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class ParsedDocument:
    """What one markdown file says, before its metadata is validated."""

    front_matter: dict[str, Any]
    sections: tuple[Section, ...]
    first_heading: str | None
    first_paragraph: str | None
    issues: tuple[FileIssue, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.text)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


_MD = _markdown()


def parse_markdown(source: str, *, path: str = "<text>") -> ParsedDocument:
    """Parse a markdown document; problems in its front matter come back as issues."""
    source = source.lstrip("\ufeff")
    tokens = _MD.parse(source)
    front_matter, issues = _front_matter(tokens, source, path)
    builder = _SectionBuilder()
    builder.feed(tokens)
    return ParsedDocument(
        front_matter=front_matter,
        sections=tuple(builder.sections),
        first_heading=builder.first_heading,
        first_paragraph=builder.first_paragraph,
        issues=tuple(issues),
    )


def _front_matter(tokens: Sequence[Token], source: str, path: str) -> tuple[dict[str, Any], list[FileIssue]]:
    block = next((t for t in tokens if t.type == "front_matter"), None)
    if block is None:
        if source.startswith("---\n") or source.startswith("---\r\n"):
            return {}, [
                FileIssue(
                    path,
                    "front matter starts with '---' but is never closed",
                    "add a closing '---' line after the YAML fields",
                    line=1,
                )
            ]
        return {}, []
    data, issues = read_front_matter(block.content, path)
    return data, [dataclasses.replace(i, what=f"{i.what}; the file was indexed without it") for i in issues]


def read_front_matter(content: str, path: str) -> tuple[dict[str, Any], list[FileIssue]]:
    """The fields of a front matter's YAML, read with limits that defeat alias bombs and deep nesting; with an
    issue (and no fields) when it cannot be read safely."""
    if len(content) > MAX_FRONT_MATTER_CHARS:
        return {}, [
            FileIssue(
                path,
                f"front matter is {len(content):,} characters, over the {MAX_FRONT_MATTER_CHARS:,} cap",
                "keep only the metadata fields between the '---' lines and move long text into the body",
                line=1,
            )
        ]
    if _flow_depth(content) > MAX_FLOW_DEPTH:
        return {}, [_too_deep(path)]
    try:
        data = yaml.load(content, Loader=_FrontMatterLoader)  # a SafeLoader: no arbitrary objects
    except _TooManyAliases:
        return {}, [
            FileIssue(
                path,
                f"front matter uses more than {MAX_ALIASES} YAML aliases (*name); refused as a possible alias bomb",
                "write the values out instead of using YAML anchors (&name) and aliases (*name)",
                line=1,
            )
        ]
    except RecursionError:
        return {}, [_too_deep(path)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, [
            FileIssue(
                path,
                f"malformed front matter ({problem})",
                "fix the YAML between the '---' lines (quote values that contain ':' or '#')",
                line=line,
            )
        ]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [
            FileIssue(
                path,
                "front matter is not a mapping of fields",
                "write it as 'field: value' lines",
                line=2,
            )
        ]
    if not _storable(data):
        return {}, [
            FileIssue(
                path,
                "front matter holds an escaped character that is not text (a lone surrogate such as \\udcff)",
                "remove the \\u escape from the quoted value",
                line=1,
            )
        ]
    return {str(k): v for k, v in data.items()}, []


def _storable(data: dict[Any, Any]) -> bool:
    """Whether every text in `data` can be written as UTF-8 (a quoted "\\udcff" loads as a lone surrogate)."""
    try:
        json.dumps(data, default=str, skipkeys=True, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
        return False
    return True


def _flow_depth(text: str) -> int:
    """How deeply '[' and '{' nest (counting those inside quotes too: an upper bound, in one linear pass)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _too_deep(path: str) -> FileIssue:
    return FileIssue(
        path,
        "front matter is nested too deeply",
        "write the fields as 'field: value' lines or short lists",
        line=1,
    )


class _TooManyAliases(Exception):
    """Front matter with more aliases than MAX_ALIASES."""


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (2024-13-45) as text instead of raising ValueError,
    so it is reported against its own field like any other invalid value, and that refuses more than
    MAX_ALIASES aliases while composing, before any value is built (an alias bomb never expands)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _TooManyAliases()
        return super().compose_node(parent, index)


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class _SectionBuilder:
    """Walks block tokens and collects sections of plain text."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.first_heading: str | None = None
        self.first_paragraph: str | None = None
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._start = 1
        self._list_depth = 0
        self._row: list[str] | None = None

    def feed(self, tokens: Sequence[Token]) -> None:
        i = 0
        while i < len(tokens):
            i = self._token(tokens, i)
        self._flush()

    def _token(self, tokens: Sequence[Token], i: int) -> int:
        tok = tokens[i]
        if tok.type == "heading_open":
            self._heading(int(tok.tag[1]), _inline_text(tokens[i + 1]), (tok.map or [0])[0] + 1)
            return i + 3
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            self._list_depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            self._list_depth -= 1
        elif tok.type == "tr_open":
            self._row = []
        elif tok.type == "tr_close" and self._row is not None:
            self._lines.append(" | ".join(self._row))
            self._row = None
        elif tok.type == "inline":
            self._inline(tok)
        elif tok.type in ("fence", "code_block"):
            self._lines.append(tok.content.rstrip("\n"))
        elif tok.type == "html_block":
            self._lines.extend(line for line in html_to_text(tok.content).splitlines() if line.strip())
        return i + 1

    def _inline(self, tok: Token) -> None:
        text = _inline_text(tok)
        if self._row is not None:
            self._row.append(text)
            return
        if not text:
            return
        if self.first_paragraph is None and self._list_depth == 0:
            self.first_paragraph = text
        prefix = "  " * max(self._list_depth - 1, 0) + "- " if self._list_depth else ""
        self._lines.append(prefix + text)

    def _heading(self, level: int, text: str, line: int) -> None:
        self._flush()
        if self.first_heading is None and text:
            self.first_heading = text
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text))
        self._start = line

    def _flush(self) -> None:
        text = "\n".join(self._lines).strip()
        self._lines = []
        if not text and not self._path:
            return
        heading = self._path[-1][1] if self._path else ""
        level = self._path[-1][0] if self._path else 0
        path = tuple(h for _, h in self._path)
        self.sections.append(Section(heading=heading, heading_path=path, level=level, text=text, line=self._start))


def _inline_text(tok: Token) -> str:
    parts: list[str] = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            parts.append(" ")
    return " ".join("".join(parts).split())


class _HtmlText(HTMLParser):
    """Text of an HTML fragment: table cells joined by ' | ', blocks on their own lines."""

    _BREAKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._cells: list[str] | None = None
        self._buffer: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._end_block()
            self._cells = []
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in self._BREAKS and self._cells is None:
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "tr" and self._cells is not None:
            self._end_cell()
            row = " | ".join(c for c in self._cells if c)
            if row:
                self.lines.append(row)
            self._cells = None
        elif tag in self._BREAKS and self._cells is None:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def _end_cell(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if self._cells is not None and text:
            self._cells.append(text)

    def _end_block(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if text:
            self.lines.append(text)

    def close(self) -> None:
        super().close()
        self._end_cell() if self._cells is not None else self._end_block()


def html_to_text(fragment: str) -> str:
    parser = _HtmlText()
    parser.feed(fragment)
    parser.close()
    return "\n".join(parser.lines)


def drop_empty_sections(sections: Sequence[Section]) -> tuple[Section, ...]:
    """Sections with text; a heading with nothing under it carries nothing to search."""
    return tuple(s for s in sections if s.text)


__all__ = ["ParsedDocument", "Section", "parse_markdown", "drop_empty_sections", "Severity"]
