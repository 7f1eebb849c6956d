"""Executes every notebook in this folder, as CI does (.ci/run): fails on the first
error in any cell, and when a notebook that plots draws no picture."""

import sys
from pathlib import Path

import nbclient
import nbformat

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> int:
    """Runs one notebook in its own folder; returns how many images it drew."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def main() -> int:
    notebooks = sorted(HERE.glob("*.ipynb"))
    if not notebooks:
        print("no notebook found in", HERE, file=sys.stderr)
        return 1
    for path in notebooks:
        images = execute(path)
        print(f"{path.name}: executed, {images} image(s)")
        if images == 0:
            print(f"{path.name}: drew no image", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
