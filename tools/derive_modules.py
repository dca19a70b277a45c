"""Derive the simulator's module table (``ari_notebook/sim/data/modules.tsv``) from a recorded
``GET /ari/asterisk/modules`` answer of a real Asterisk (the h_resources scenario of the traces).

Why: ``/asterisk/modules`` should list what the reference Asterisk 23.4.1 ran (250 modules);
the names, descriptions, use counts and support levels are facts about that machine.

    python tools/derive_modules.py ../shared/ari-traces/scenarios/h_resources.jsonl > ari_notebook/sim/data/modules.tsv
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    requests = {}
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        if rec.get("kind") == "request" and rec.get("path") == "/ari/asterisk/modules":
            requests[rec["id"]] = rec
        elif rec.get("kind") == "response" and rec.get("id") in requests and rec.get("status") == 200:
            modules = rec["body"]
            break
    else:
        raise SystemExit("no GET /ari/asterisk/modules answer in " + path)
    print("# Modules of the reference Asterisk 23.4.1 (GET /ari/asterisk/modules), one per line:")
    print("# name, use_count, support_level, description. Derived by tools/derive_modules.py.")
    for m in sorted(modules, key=lambda m: m["name"]):
        print(f"{m['name']}\t{m['use_count']}\t{m['support_level']}\t{m['description']}")


if __name__ == "__main__":
    main(sys.argv[1])
