"""Where batch results go: one whole file per id (atomic, resumable), or id-headed blocks on a stream."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from indexer.errors import RecommenderError
from recommender.batch_sinks import BatchResult, Blocks, FilePerResult
from recommender.models import Recommendation
from tests.test_buyer_note import WHITEPAPER, answer


def render(recommendation: Recommendation) -> str:
    return f"{len(recommendation.items)} item(s): {recommendation.items[0].title}\n"


def test_each_result_is_one_whole_file_named_by_its_id(tmp_path: Path) -> None:
    files = FilePerResult(tmp_path / "notes", ".txt", render)
    assert files.prepare(resume=False) == frozenset()
    files.write(BatchResult(id="deal-1001", recommendation=answer(WHITEPAPER)))
    files.write(BatchResult(id=7, recommendation=answer(WHITEPAPER)))
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["7.txt", "deal-1001.txt"]
    assert (tmp_path / "notes" / "7.txt").read_text() == "1 item(s): The hidden cost of the spreadsheet close\n"


@pytest.mark.parametrize("bad", ["../up", "a/b", ".hidden", "", "x" * 152, "deal 1", "é"])
def test_an_id_that_cannot_name_a_file_is_refused(tmp_path: Path, bad: str) -> None:
    refused = FilePerResult(tmp_path, ".md", render).refuse(bad)
    assert refused is not None and "cannot name a file" in refused


@pytest.mark.parametrize("good", ["deal-1001", "7", "a.b_c-d", "x" * 151])
def test_plain_ids_are_accepted(tmp_path: Path, good: str) -> None:
    assert FilePerResult(tmp_path, ".md", render).refuse(good) is None


def test_resume_skips_written_ids_and_clears_partial_files(tmp_path: Path) -> None:
    (tmp_path / "deal-1.md").write_text("done")
    (tmp_path / ".deal-2.md.partial").write_text("cut off")
    (tmp_path / "other.txt").write_text("another format")
    files = FilePerResult(tmp_path, ".md", render)
    with pytest.raises(RecommenderError, match="already holds 1 result"):
        files.prepare(resume=False)
    assert files.prepare(resume=True) == frozenset({"deal-1"})
    assert not (tmp_path / ".deal-2.md.partial").exists() and (tmp_path / "other.txt").exists()


def test_a_file_where_the_folder_should_be_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("")
    with pytest.raises(RecommenderError, match="is a file, not a folder"):
        FilePerResult(tmp_path / "notes", ".txt", render).prepare(resume=False)


def test_blocks_head_each_result_with_its_id() -> None:
    stream = io.StringIO()
    sink = Blocks(stream, render, header="# {id}")
    sink.write(BatchResult(id="a", recommendation=answer(WHITEPAPER)))
    sink.write(BatchResult(id="b", recommendation=answer(WHITEPAPER)))
    assert stream.getvalue().count("1 item(s)") == 2 and stream.getvalue().startswith("# a\n\n1 item(s)")
    assert "\n# b\n\n" in stream.getvalue()
