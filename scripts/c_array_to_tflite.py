"""Write a .tflite from the bytes of a C array copied as text (TFLM keeps models as `xxd -i`).

The input is the array's text: `0x1c, 0x00, ...` as in the source file, or bare hex pairs
(`1c 00 ...`), one or more files read in order (a long array is copied page by page). The
script refuses to write unless the byte count equals the array's `_len` constant (given with
--length) and bytes 4..8 are the flatbuffer identifier `TFL3` (--no-identifier accepts an array
that upstream stores without it, e.g. the keyword benchmark's scrambled model).

    python scripts/c_array_to_tflite.py --length 21344 --out models/tflm-examples/x.tflite \
        page01.txt page02.txt ...
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

_BYTE = re.compile(r"(?:0x)?([0-9a-fA-F]{2})\b")


def parse_bytes(text: str) -> bytes:
    """The bytes of a C array's text (`0x..` literals or bare hex pairs); other text is refused."""
    body = text.replace(",", " ").replace("{", " ").replace("}", " ").replace(";", " ")
    out = bytearray()
    for token in body.split():
        match = _BYTE.fullmatch(token)
        if match is None:
            raise ValueError(f"not a hex byte: {token!r}")
        out.append(int(match.group(1), 16))
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path, help="text files holding the array bytes")
    parser.add_argument("--length", type=int, required=True, help="the array's _len constant")
    parser.add_argument("--out", type=Path, required=True, help="the .tflite to write")
    parser.add_argument("--no-identifier", action="store_true",
                        help="accept bytes 4..8 that are not b'TFL3' (upstream has none)")
    args = parser.parse_args(argv)
    try:
        data = b"".join(parse_bytes(p.read_text()) for p in args.pages)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(data) != args.length:
        print(f"error: {len(data)} bytes, the array's length is {args.length}", file=sys.stderr)
        return 1
    if data[4:8] != b"TFL3" and not args.no_identifier:
        print(f"error: bytes 4..8 are {data[4:8]!r}, not b'TFL3'", file=sys.stderr)
        return 1
    args.out.write_bytes(data)
    print(f"{args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
