"""indexer.parse: markdown -> front matter and sections of plain text."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from indexer.parse import drop_empty_sections, html_to_text, parse_markdown


def md(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# ---- front matter --------------------------------------------------------------------------


def test_valid_front_matter_is_read_and_not_indexed_as_text() -> None:
    doc = parse_markdown(
        md("""
        ---
        title: Close faster
        stages: [awareness, proof]
        updated: 2025-03-01
        ---
        # Heading
        Body text.
        """)
    )
    assert doc.front_matter == {
        "title": "Close faster",
        "stages": ["awareness", "proof"],
        "updated": dt.date(2025, 3, 1),
    }
    assert doc.issues == ()
    assert "Close faster" not in doc.text and "stages" not in doc.text
    assert [s.heading for s in doc.sections] == ["Heading"]


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ("title: ok\nsummary: one: two\n", 3),  # a second ':' in an unquoted value
        ("title: ok\nowner: me\n\tbad: tab\n", 4),  # a tab cannot start a token
        ("title: [unclosed\n", 2),
    ],
)
def test_malformed_yaml_is_reported_at_its_line_and_the_body_still_parsed(fields: str, line: int) -> None:
    doc = parse_markdown(f"---\n{fields}---\n# Body\nStill indexed.\n", path="notes/x.md")
    assert doc.front_matter == {}
    [issue] = doc.issues
    assert issue.path == "notes/x.md"
    assert issue.line == line
    assert "malformed front matter" in issue.what
    assert "YAML" in issue.fix
    assert [s.text for s in doc.sections] == ["Still indexed."]


def test_impossible_date_does_not_break_parsing() -> None:
    doc = parse_markdown("---\ntitle: T\nupdated: 2024-13-45\n---\n# H\nbody\n")
    assert doc.issues == ()  # the date is reported by metadata validation, against its own field
    assert doc.front_matter == {"title": "T", "updated": "2024-13-45"}


def test_unclosed_front_matter_is_reported_at_line_1() -> None:
    doc = parse_markdown("---\ntitle: never closed\n\n# Heading\nBody.\n", path="a.md")
    [issue] = doc.issues
    assert issue.line == 1
    assert "never closed" in issue.what
    assert "closing '---'" in issue.fix
    assert doc.front_matter == {}
    assert doc.sections[-1].text == "Body."


@pytest.mark.parametrize("body", ["- a\n- b\n", "just a sentence\n", "42\n"])
def test_front_matter_that_is_not_a_mapping_is_reported(body: str) -> None:
    doc = parse_markdown(f"---\n{body}---\n# H\ntext\n", path="a.md")
    [issue] = doc.issues
    assert "not a mapping" in issue.what
    assert issue.line == 2
    assert doc.front_matter == {}


def test_empty_front_matter_is_fine() -> None:
    doc = parse_markdown("---\n---\n# H\ntext\n")
    assert doc.front_matter == {} and doc.issues == ()


def test_byte_order_mark_does_not_hide_front_matter() -> None:
    doc = parse_markdown("\ufeff---\ntitle: With BOM\n---\n# H\ntext\n")
    assert doc.front_matter == {"title": "With BOM"}
    assert doc.issues == ()
    assert all("\ufeff" not in s.text and "\ufeff" not in s.heading for s in doc.sections)


def test_windows_line_endings() -> None:
    doc = parse_markdown("---\r\ntitle: CRLF\r\n---\r\n# H\r\nline one\r\n")
    assert doc.front_matter == {"title": "CRLF"}
    assert doc.sections[0].text == "line one"


# ---- sections ------------------------------------------------------------------------------


def test_heading_paths_follow_nesting_and_reset_on_shallower_headings() -> None:
    doc = parse_markdown(
        md("""
        # Guide
        intro
        ## Setup
        setup text
        ### Step one
        step text
        #### Detail
        detail text
        ## Rollout
        rollout text
        # Appendix
        appendix text
        ### Skipped level
        deep text
        """)
    )
    paths = [s.heading_path for s in doc.sections]
    assert paths == [
        ("Guide",),
        ("Guide", "Setup"),
        ("Guide", "Setup", "Step one"),
        ("Guide", "Setup", "Step one", "Detail"),
        ("Guide", "Rollout"),
        ("Appendix",),
        ("Appendix", "Skipped level"),
    ]
    assert [s.level for s in doc.sections] == [1, 2, 3, 4, 2, 1, 3]
    assert doc.sections[4].text == "rollout text"


def test_section_lines_point_at_their_headings() -> None:
    source = "---\ntitle: t\n---\n\n# First\n\ntext\n\n## Second\nmore\n"
    doc = parse_markdown(source)
    lines = source.splitlines()
    for section in doc.sections:
        assert lines[section.line - 1].lstrip("# ") == section.heading


def test_text_before_the_first_heading_is_its_own_section() -> None:
    doc = parse_markdown("Opening paragraph.\n\n# Title\nBody.\n")
    first, second = doc.sections
    assert (first.heading, first.heading_path, first.level, first.text) == ("", (), 0, "Opening paragraph.")
    assert second.heading == "Title"
    assert doc.first_heading == "Title"
    assert doc.first_paragraph == "Opening paragraph."


def test_heading_markup_is_removed_from_heading_text() -> None:
    doc = parse_markdown("# The **bold** [claim](https://x.example) `v2`\ntext\n")
    assert doc.sections[0].heading == "The bold claim v2"
    assert doc.first_heading == "The bold claim v2"


def test_first_paragraph_skips_lists() -> None:
    doc = parse_markdown("# T\n- a bullet\n\nThe real paragraph.\n")
    assert doc.first_paragraph == "The real paragraph."


def test_headings_with_nothing_under_them_are_dropped() -> None:
    doc = parse_markdown("# Empty\n## Also empty\n## Full\nwords\n")
    kept = drop_empty_sections(doc.sections)
    assert [s.heading for s in kept] == ["Full"]
    assert kept[0].heading_path == ("Empty", "Full")


# ---- plain text ----------------------------------------------------------------------------


def test_lists_become_dash_lines_with_nesting() -> None:
    doc = parse_markdown(
        md("""
        # H
        - first *item*
        - second
          - nested
        1. ordered
        2. again
        """)
    )
    assert doc.sections[0].text.splitlines() == ["- first item", "- second", "  - nested", "- ordered", "- again"]


def test_tables_become_pipe_rows() -> None:
    doc = parse_markdown(
        md("""
        # Pricing
        | Tier | Price |
        |------|------:|
        | **Core** | $10 |
        | [Plus](https://x) | $20 |
        """)
    )
    assert doc.sections[0].text.splitlines() == ["Tier | Price", "Core | $10", "Plus | $20"]


def test_code_fences_keep_their_content_verbatim() -> None:
    doc = parse_markdown("# H\n\n```python\nx = a * b  # [note](y)\n    indented\n```\n\nafter\n")
    assert doc.sections[0].text == "x = a * b  # [note](y)\n    indented\nafter"


def test_inline_markup_is_removed() -> None:
    doc = parse_markdown(
        md("""
        # H
        Some **bold**, *italic*, __strong__, _em_, `code`, a [link](https://example.com/a),
        a <https://auto.example> link, an ![diagram of flow](img.png) and a [ref][r].<br>Next.

        [r]: https://example.com/ref
        """)
    )
    text = doc.sections[0].text
    assert text == (
        "Some bold, italic, strong, em, code, a link, a https://auto.example link, an diagram of flow and a ref. Next."
    )
    for mark in ("*", "[", "](", "__", "`", "<", "example.com/a", "img.png"):
        assert mark not in text


def test_html_table_block_becomes_rows_of_text() -> None:
    doc = parse_markdown(
        md("""
        # Comparison

        <table>
          <tr><th>Feature</th><th>Ledgerline</th></tr>
          <tr><td>Auto-match</td><td><b>Yes</b> &amp; fast</td></tr>
        </table>

        after the table
        """)
    )
    assert doc.sections[0].text.splitlines() == ["Feature | Ledgerline", "Auto-match | Yes & fast", "after the table"]


def test_html_blocks_drop_scripts_and_keep_block_breaks() -> None:
    text = html_to_text(
        "<div><p>One</p><ul><li>a</li><li>b</li></ul><script>alert(1)</script><style>p{}</style>Two</div>"
    )
    assert text.splitlines() == ["One", "a", "b", "Two"]


def test_document_text_joins_sections() -> None:
    doc = parse_markdown("intro\n# A\nalpha\n# B\nbeta\n")
    assert doc.text == "intro\n\nalpha\n\nbeta"


# ---- hostile front matter ------------------------------------------------------------------


def alias_bomb(levels: int = 9, fan_out: int = 9, field: str = "problems") -> str:
    """A few hundred bytes of YAML that expand to fan_out ** levels strings when aliases are followed."""
    names = [f"l{i}" for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * fan_out)}]"]
    lines += [
        f"{name}: &{name} [{', '.join(['*' + previous] * fan_out)}]"
        for previous, name in zip(names, names[1:], strict=False)
    ]
    return "---\n" + "\n".join(lines) + f"\n{field}: *{names[-1]}\n---\n# Bomb\n\nThe body is still indexed.\n"


def test_an_alias_bomb_is_refused_and_the_body_still_parsed() -> None:
    source = alias_bomb()
    assert len(source.encode()) < 600  # the issue's case: a 600-byte front matter drove memory past 3 GB
    doc = parse_markdown(source, path="bomb.md")
    assert doc.front_matter == {}
    [issue] = doc.issues
    assert issue.path == "bomb.md" and issue.line == 1
    assert issue.what.startswith(
        "front matter uses more than 16 YAML aliases (*name); refused as a possible alias bomb"
    )
    assert "anchors (&name) and aliases (*name)" in issue.fix
    assert doc.text == "The body is still indexed."


def test_a_few_aliases_are_still_fine() -> None:
    doc = parse_markdown("---\nroles: &r [cfo, controller]\nalso: *r\n---\n# T\n\nx\n")
    assert doc.issues == () and doc.front_matter["also"] == ["cfo", "controller"]


def test_an_oversized_front_matter_is_refused() -> None:
    doc = parse_markdown("---\nsummary: " + "x" * 70_000 + "\n---\n# T\n\nbody\n", path="long.md")
    assert doc.front_matter == {} and doc.text == "body"
    [issue] = doc.issues
    assert issue.what == "front matter is 70,009 characters, over the 64,000 cap; the file was indexed without it"


def test_deeply_nested_front_matter_is_reported_not_a_crash() -> None:
    doc = parse_markdown("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n# T\n\nbody\n", path="deep.md")
    assert doc.front_matter == {} and doc.text == "body"
    [issue] = doc.issues
    assert issue.what == "front matter is nested too deeply; the file was indexed without it"


def test_block_nesting_past_the_recursion_limit_is_reported_not_a_crash() -> None:
    nested = "x:\n" + "- " * 20_000 + "y\n"  # block sequences nest two characters a level
    doc = parse_markdown("---\n" + nested + "---\n# T\n\nbody\n", path="deep.md")
    assert doc.front_matter == {} and doc.text == "body"
    assert [i.what for i in doc.issues] == ["front matter is nested too deeply; the file was indexed without it"]


def test_an_escaped_lone_surrogate_is_reported_instead_of_failing_the_write() -> None:
    doc = parse_markdown('---\ntitle: "a\\udcffb"\n---\n# T\n\nbody\n', path="s.md")
    assert doc.front_matter == {} and doc.text == "body"
    [issue] = doc.issues
    assert issue.what.startswith("front matter holds an escaped character that is not text")
