"""`make demo`: three sample seller requests answered from the indexed sample library."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule

from indexer.settings import Settings
from recommender.cli.app import _quiet_libraries
from recommender.cli.render import render
from recommender.service import Recommender, parse_request

REQUESTS = [
    (
        "A controller in healthcare, evaluating: reconciliations and audit evidence",
        {
            "problems": [
                "our reconciliations are done in spreadsheets and take days",
                "auditors ask for evidence of every reconciliation",
            ],
            "stage": "evaluation",
            "roles": ["controller"],
            "industry": "healthcare",
            "max_items": 3,
        },
    ),
    (
        "A CFO with one problem the library does not cover (a gap)",
        {
            "problems": ["month-end close takes twelve days", "we need to automate payroll for 14 countries"],
            "stage": "awareness",
            "roles": ["cfo"],
            "max_items": 3,
        },
    ),
    (
        "A buying group in supplier selection: CFO, IT security and procurement",
        {
            "problems": [
                "we need a business case the board will accept",
                "is our financial data secure in your cloud",
                "what will the contract and pricing look like",
            ],
            "stage": "proposal",
            "roles": ["cfo", "it-security", "procurement"],
            "max_items": 4,
        },
    ),
]


def main() -> None:
    _quiet_libraries()
    console = Console()
    recommender = Recommender.open(Settings())
    for title, data in REQUESTS:
        console.print(Rule(title))
        render(console, recommender.recommend(parse_request(data)))
    console.print(Rule())
    console.print(
        "Try your own: recommender recommend --problem '...' --stage evaluation --role cfo   (or: "
        "recommender ask '...')"
    )
    console.print("Or in a browser: .venv/bin/recommender serve, then open http://127.0.0.1:8000/")


if __name__ == "__main__":
    main()
