"""The keyword index analyses a query exactly as bm25s analysed the pieces it indexed."""

from __future__ import annotations

import bm25s
import pytest
import Stemmer

from indexer.keyword import KeywordConfig, KeywordIndex
from tests.conftest import CORPUS

ODD = [
    "",
    "a I x",
    "Month-end close: 12 days -> 3!",
    "Café naïve résumé déjà-vu",
    "SOC 2 Type II / ISO 27001",
    "don't won't it's",
    "e-mail_address 3rd 1099-NEC",
    "ÉCOLE Straße",
    "数字 中文 text",
    "    spaced\tout\nlines   ",
]


@pytest.mark.parametrize(
    "config", [KeywordConfig(), KeywordConfig(stemmer=None, stopwords=None)], ids=["default", "plain"]
)
def test_queries_are_analysed_as_bm25s_analysed_the_pieces(config: KeywordConfig) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))]
    sentences = [s for t in texts for s in t.split(". ")] + ODD
    index = KeywordIndex.build(texts, config)
    stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None
    expected = bm25s.tokenize(
        sentences, stemmer=stemmer, stopwords=config.stopwords, return_ids=False, show_progress=False
    )
    assert [index.analyse(s) for s in sentences] == [list(e) for e in expected]
