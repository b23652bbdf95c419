"""indexer.sentences: what an answer is judged by and quoted from."""

from __future__ import annotations

from indexer.sentences import piece_spans, pieces_of, split_sentences


def test_prose_list_items_and_table_rows_become_sentences() -> None:
    text = (
        "Ledgerline closes the books faster. It matches bank lines automatically!\n"
        "- SSO through Okta and Azure AD\n"
        "Report | Availability\n"
        "SOC 2 Type II | on request under NDA\n"
        "Pen test summary | Trust Center"
    )
    found = split_sentences(text)
    assert [s.text for s in found] == [
        "Ledgerline closes the books faster.",
        "It matches bank lines automatically!",
        "SSO through Okta and Azure AD",
        "Report | Availability",
        "Report | Availability / SOC 2 Type II | on request under NDA",
        "Report | Availability / Pen test summary | Trust Center",
    ]
    assert found[4].embed_text == "Report: SOC 2 Type II; Availability: on request under NDA"


def test_spans_point_into_the_section_text() -> None:
    text = "First sentence here. Second one follows.\n- a list item that is long enough"
    for sentence in split_sentences(text):
        assert (
            sentence.text in text[sentence.start : sentence.end]
            or sentence.text == text[sentence.start : sentence.end].strip()
        )


def test_a_sentence_cut_by_a_piece_boundary_belongs_to_both_pieces() -> None:
    text = "Alpha beta gamma delta. Epsilon zeta eta theta iota. Kappa lambda mu nu."
    pieces = ["Alpha beta gamma delta. Epsilon zeta", "Epsilon zeta eta theta iota. Kappa lambda mu nu."]
    spans = piece_spans(text, pieces)
    assert spans == [(0, len(pieces[0])), (24, 24 + len(pieces[1]))]
    second = split_sentences(text)[1]
    assert second.text == "Epsilon zeta eta theta iota." and pieces_of(second, spans) == [0, 1]


def test_tiny_lines_are_not_sentences() -> None:
    assert split_sentences("Yes.\n- n/a\n| |") == []
