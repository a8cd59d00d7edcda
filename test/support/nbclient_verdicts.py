"""Purpose: the reference verdicts for the notebook runner tests. Runs each notebook given on
the command line with Debian's nbclient (python3-nbclient) in a fresh local kernel and prints,
as JSON, {path: {"verdict": "success"|"failure", "cell": <1-based code-cell number or null>,
"error": <exception name or null>}}.

usage: /usr/bin/python3 nbclient_verdicts.py ROOT CELL_TIMEOUT_S PATH...
"""
import json
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient


def verdict(root, path, timeout):
    try:
        nb = nbformat.read(os.path.join(root, path), as_version=4)
    except Exception as e:  # malformed notebook: fails before any cell
        return {"verdict": "failure", "cell": None, "error": type(e).__name__}
    numbers, n = {}, 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            n += 1
            numbers[i] = n
    current = {"index": None}

    def on_start(cell, cell_index):
        current["index"] = cell_index

    with tempfile.TemporaryDirectory() as cwd:
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", on_cell_start=on_start,
            resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute()
        except Exception as e:
            return {"verdict": "failure", "cell": numbers.get(current["index"]), "error": type(e).__name__}
    return {"verdict": "success", "cell": None, "error": None}


def main():
    root, timeout, paths = sys.argv[1], int(float(sys.argv[2])), sys.argv[3:]
    print(json.dumps({p: verdict(root, p, timeout) for p in paths}))


if __name__ == "__main__":
    main()
