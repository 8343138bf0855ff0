"""Response JSON decoding: ``synapse_sdk._http._json.loads`` with msgspec vs the standard library.

Run: ``python bench/json_decoder.py [--rows 1000] [--repeat 15]``. Prints microseconds per row
(the best of ``--repeat`` timings of a page of task rows, as the local backend writes them) and
the ratio, then what the fallback costs when msgspec refuses a body: a UTF-8 BOM (refused at
byte 0) and a ``NaN`` in the last row (refused at the end: msgspec's work is wasted).
"""

from __future__ import annotations

import argparse
import json
import timeit
from typing import Any

import msgspec

from synapse_sdk._http import _json


def page(rows: int) -> bytes:
    results = [
        {
            "id": 1000 + i,
            "project": 1 + i % 7,
            "data_unit": 50_000 + i,
            "workshop": None,
            "meta": {"index": i},
            "data": {"annotations": [{"class": "cat" if i % 2 else "dog"}]},
            "status": "completed",
            "is_discarded": False,
            "tags": [1 + i % 3],
            "assignments": [i],
            "created": "2026-12-01T15:08:46.742831Z",
            "modified": "2026-12-01T15:08:46.742831Z",
        }
        for i in range(rows)
    ]
    envelope = {"count": rows, "next": None, "previous": None, "results": results}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def per_row(content: bytes, rows: int, repeat: int, gc: bool) -> tuple[float, float]:
    """Best microseconds per row of ``loads(content)``: the stdlib alone, then with msgspec
    (timings interleaved, so both see the same machine load)."""
    decode = msgspec.json.Decoder().decode
    number = max(1, 10_000_000 // len(content))
    setup = "import gc; gc.enable()" if gc else "pass"
    times: dict[Any, list[float]] = {None: [], decode: []}
    for _ in range(repeat):
        for fast, seen in times.items():
            _json._fast = fast
            seen.append(timeit.timeit(lambda: _json.loads(content), setup, number=number))
    slow, quick = (min(seen) / number * 1e6 / rows for seen in times.values())
    return slow, quick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--gc", action="store_true", help="keep the garbage collector on")
    args = parser.parse_args()
    body = page(args.rows)
    bom = b"\xef\xbb\xbf" + body
    last = f'"meta":{{"index":{args.rows - 1}}}'.encode()
    nan_last = body.replace(last, b'"meta":{"index":NaN}')
    assert nan_last.count(b"NaN") == 1
    gc = "on" if args.gc else "off"
    print(f"msgspec {msgspec.__version__}, {args.rows} rows, {len(body):,} bytes, gc {gc}")
    print(f"{'body':<18} {'stdlib us/row':>14} {'msgspec us/row':>15} {'ratio':>7}")
    cases = (("plain page", body), ("BOM (fallback)", bom), ("NaN last (fallb.)", nan_last))
    for name, content in cases:
        slow, fast = per_row(content, args.rows, args.repeat, args.gc)
        print(f"{name:<18} {slow:>14.3f} {fast:>15.3f} {slow / fast:>6.2f}x")


if __name__ == "__main__":
    main()
