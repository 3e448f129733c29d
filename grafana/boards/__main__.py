"""Write the dashboards' JSON: `python -m grafana.boards` (tests check the files match)."""

from __future__ import annotations

import json
from pathlib import Path

from grafana.boards import build_all

FOLDER = Path(__file__).resolve().parents[1] / "provisioning" / "dashboards" / "otelhouse"


def render(board: dict) -> str:
    """Return a dashboard as the JSON text kept in the repository."""
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, board in build_all().items():
        (FOLDER / name).write_text(render(board))
        print(FOLDER / name)


if __name__ == "__main__":
    main()
