"""The query path never imports torch, and a bad request is refused before anything heavy loads.

Each command runs in a fresh process against an index built with the default (ONNX) encoder; the
process reports which modules it imported. What it prints is checked too, so a probe that never
answered cannot pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

TORCH = ("torch", "sentence_transformers", "transformers")
HEAVY = (*TORCH, "onnxruntime", "faiss", "bm25s")

CLI_PROBE = """
import json, sys
from recommender.cli import main
report, sys.argv = sys.argv[1], ["recommender", *sys.argv[2:]]
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code
with open(report, "w") as out:
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}, out)
"""

API_PROBE = """
import json, sys
from fastapi.testclient import TestClient
from recommender.api.app import create_app
from recommender.api.settings import ServerSettings
report, index = sys.argv[1], sys.argv[2]
with TestClient(create_app(ServerSettings.load(index=index))) as client:
    answer = client.post(
        "/v1/recommendations", json={"problems": ["month-end close takes twelve days"], "stage": "evaluation"}
    )
with open(report, "w") as out:
    json.dump(
        {
            "code": answer.status_code,
            "items": len(answer.json()["items"]),
            "modules": sorted({m.split(".")[0] for m in sys.modules}),
        },
        out,
    )
"""


def probe(script: str, tmp_path: Path, *args: str | Path) -> tuple[dict, subprocess.CompletedProcess[str]]:
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(report), *map(str, args)],
        cwd=ROOT,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), done.stderr
    return json.loads(report.read_text(encoding="utf-8")), done


@pytest.mark.parametrize(
    "command",
    [
        [
            "recommend",
            "--problem",
            "month-end close takes twelve days",
            "--stage",
            "evaluation",
            "--role",
            "cfo",
            "--json",
        ],
        ["ask", "CFO at a regional bank worried about implementation risk", "--json"],
        ["batch", "samples/deals.jsonl"],
        ["audit", "--problems", "samples/common-problems.txt", "--json"],
    ],
    ids=["recommend", "ask", "batch", "audit"],
)
def test_answering_never_imports_torch(command: list[str], corpus_index: Path, tmp_path: Path) -> None:
    report, done = probe(CLI_PROBE, tmp_path, *command, "--index", corpus_index)
    assert report["code"] == 0, done.stderr
    assert done.stdout.strip(), "the command printed no answer"
    assert "onnxruntime" in report["modules"]  # it did embed, with the index's own encoder
    assert not set(TORCH) & set(report["modules"])


def test_serving_never_imports_torch(corpus_index: Path, tmp_path: Path) -> None:
    report, done = probe(API_PROBE, tmp_path, corpus_index)
    assert report["code"] == 200 and report["items"] >= 1, done.stderr
    assert not set(TORCH) & set(report["modules"])


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["recommend", "--problem", "close is slow", "--stage", "evalution"],
            "unknown stage 'evalution' - did you mean 'evaluation'?",
        ),
        (
            ["recommend", "--problem", "close is slow", "--role", "controler"],
            "unknown role 'controler' - did you mean 'controller'?",
        ),
        (["ask", "close is slow", "--max-items", "0"], "max_items"),
        (["recommend", "--problem", "close is slow", "--index", "no-such-index"], "no index at no-such-index"),
    ],
    ids=["stage", "role", "flag", "index"],
)
def test_a_bad_request_is_refused_before_anything_heavy_loads(
    command: list[str], message: str, corpus_index: Path, tmp_path: Path
) -> None:
    index = [] if "--index" in command else ["--index", str(corpus_index)]
    report, done = probe(CLI_PROBE, tmp_path, *command, *index)
    assert report["code"] == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not set(HEAVY) & set(report["modules"])
