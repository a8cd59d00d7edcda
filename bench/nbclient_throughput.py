"""Purpose: the nbclient side of bench/notebook-throughput.mjs. Runs each notebook given on the
command line, one after the other, with Debian's nbclient (python3-nbclient) in a fresh local
ipykernel (as `jupyter nbconvert --execute` or papermill would), and prints one JSON line:

  {"wall_ms": <whole corpus>, "notebooks": {path: {"wall_ms", "cells_ms", "cells", "ok"}}}

wall_ms of a notebook: read + kernel start + every cell + kernel shutdown; cells_ms: from the
first cell's execute_request to the last cell's reply (the part Troop's notebook duration
covers); cells: code cells executed (cells tagged skip-execution are not).

usage: /usr/bin/python3 nbclient_throughput.py ROOT CELL_TIMEOUT_S PATH...
"""
import json
import os
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient


def run(root, path, timeout):
    t0 = time.perf_counter()
    nb = nbformat.read(os.path.join(root, path), as_version=4)
    marks = {"first": None, "last": None, "cells": 0}

    def on_execute(cell, cell_index):
        if marks["first"] is None:
            marks["first"] = time.perf_counter()

    def on_executed(cell, cell_index, execute_reply):
        marks["last"] = time.perf_counter()
        marks["cells"] += 1

    ok = True
    with tempfile.TemporaryDirectory() as cwd:
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", on_cell_execute=on_execute,
            on_cell_executed=on_executed, resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute()
        except Exception:  # noqa: BLE001 - a failure is reported, not raised
            ok = False
    wall = (time.perf_counter() - t0) * 1000
    cells_ms = (marks["last"] - marks["first"]) * 1000 if marks["first"] is not None and marks["last"] is not None else 0.0
    return {"wall_ms": wall, "cells_ms": cells_ms, "cells": marks["cells"], "ok": ok}


def main():
    root, timeout, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    t0 = time.perf_counter()
    notebooks = {p: run(root, p, timeout) for p in paths}
    print(json.dumps({"wall_ms": (time.perf_counter() - t0) * 1000, "notebooks": notebooks}))


if __name__ == "__main__":
    main()
