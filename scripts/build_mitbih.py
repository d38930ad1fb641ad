#!/usr/bin/env python3
"""Rebuild the MIT-BIH beat bundle shipped with hilbench, bit for bit, from the PhysioNet records.

    python scripts/build_mitbih.py /path/to/mitdb [--out harness/datasets/data/mitbih_beats.npz]

The folder must hold the PhysioNet release of the MIT-BIH Arrhythmia Database 1.0.0
(NNN.hea/.dat/.atr and SHA256SUMS.txt); every file of the 44 non-paced records is checked
against SHA256SUMS.txt before it is read. Needs `wfdb` and `scipy` (the `data` extra, which
the set-up installs; build time only: the loader needs numpy alone).

Why integers all the way: the bundle's SHA-256 is a constant of the loader, so the rebuild must
not depend on floating-point rounding. Every step below is exact integer arithmetic:

1. MLII lead (signal 0; signal 1 in record 114), raw ADC units (wfdb `physical=False`).
2. 360 Hz -> 180 Hz by summing sample pairs (a 2-tap moving average, scaled by 2).
3. Baseline removal (de Chazal 2004): the baseline is a 600 ms median filter of a 200 ms median
   filter of the signal (109 and 37 taps at 180 Hz); it is subtracted.
4. One window per beat annotation: `BEFORE` samples before the R peak to `AFTER - 1` after it
   (0.256 s before, 0.450 s after), quantised to int8 by its own peak |x|:
   q = sign(x) * floor((254 |x| + m) / (2 m)), m = max |x| stored as `scale` (int16), so
   x ~= q * scale / 127.
5. Every beat annotation of the 15 AAMI beat symbols is kept (its record, R-peak sample at
   360 Hz, AAMI class N/S/V/F/Q) so the loader can compute RR intervals over the full beat
   sequence; `valid` marks beats whose window lies inside the record and that have a previous
   and a next beat (so both RR intervals exist). Invalid beats have an all-zero window.

The .npz is written with fixed zip timestamps (numpy's savez stamps the current time).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness.datasets.mitbih import AAMI, AFTER, BEFORE, BUNDLE, DS1, DS2, MITBIH_SHA256  # noqa: E402

MEDIAN_TAPS = (37, 109)   # 200 ms and 600 ms at 180 Hz, odd


def check_sources(root: Path, records: list[int]) -> None:
    """Every .hea/.dat/.atr of `records` against PhysioNet's SHA256SUMS.txt; exit on a mismatch."""
    sums_file = root / "SHA256SUMS.txt"
    if not sums_file.is_file():
        sys.exit(f"build_mitbih: {sums_file} is missing: {root} is not the PhysioNet mitdb folder")
    sums = {}
    for line in sums_file.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1].lstrip("*")] = parts[0]
    for rec in records:
        for ext in ("hea", "dat", "atr"):
            name = f"{rec}.{ext}"
            path = root / name
            if not path.is_file():
                sys.exit(f"build_mitbih: {path} is missing")
            got = hashlib.sha256(path.read_bytes()).hexdigest()
            if got != sums.get(name):
                sys.exit(f"build_mitbih: {path} does not match SHA256SUMS.txt "
                         f"({got[:16]}... vs {str(sums.get(name))[:16]}...)")


def _baseline_removed(signal: np.ndarray) -> np.ndarray:
    from scipy.ndimage import median_filter  # type: ignore[import-untyped]
    base = signal
    for taps in MEDIAN_TAPS:
        base = median_filter(base, size=taps, mode="nearest")
    return signal - base


def _quantise(window: np.ndarray) -> tuple[np.ndarray, int]:
    m = int(np.abs(window).max()) or 1
    mag = (254 * np.abs(window) + m) // (2 * m)
    return (np.sign(window) * mag).astype(np.int8), m


def record_beats(root: Path, rec: int) -> dict[str, np.ndarray]:
    """The beat arrays of one record (see the module docstring)."""
    import wfdb  # type: ignore[import-untyped]
    header = wfdb.rdheader(str(root / str(rec)))
    lead = header.sig_name.index("MLII")
    raw = wfdb.rdrecord(str(root / str(rec)), physical=False, channels=[lead]).d_signal[:, 0]
    raw = raw.astype(np.int64)
    x180 = raw[0:len(raw) // 2 * 2:2] + raw[1:len(raw) // 2 * 2:2]
    clean = _baseline_removed(x180)
    ann = wfdb.rdann(str(root / str(rec)), "atr")
    keep = [i for i, s in enumerate(ann.symbol) if s in AAMI]
    samples = np.asarray(ann.sample, dtype=np.int64)[keep]
    labels = np.asarray([AAMI[ann.symbol[i]] for i in keep], dtype=np.int8)
    n = len(keep)
    beats = np.zeros((n, BEFORE + AFTER), dtype=np.int8)
    scale = np.zeros(n, dtype=np.int16)
    valid = np.zeros(n, dtype=bool)
    for j, s in enumerate(samples):
        c = int(s) // 2
        if 0 < j < n - 1 and c - BEFORE >= 0 and c + AFTER <= len(clean):
            beats[j], scale[j] = _quantise(clean[c - BEFORE:c + AFTER])
            valid[j] = True
    return {"record": np.full(n, rec, dtype=np.int16), "sample": samples.astype(np.int32),
            "label": labels, "valid": valid, "beat": beats, "scale": scale}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz numpy can read, with fixed member timestamps so the bytes are reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(path)


def build(root: Path, out: Path) -> str:
    """Check the sources, build the bundle at `out`, return its SHA-256."""
    records = sorted(DS1 + DS2)
    check_sources(root, records)
    parts = [record_beats(root, rec) for rec in records]
    arrays = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    write_npz(out, arrays)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mitdb", type=Path, help="folder of the PhysioNet MIT-BIH records")
    ap.add_argument("--out", type=Path, default=BUNDLE)
    args = ap.parse_args(argv)
    digest = build(args.mitdb, args.out)
    size = args.out.stat().st_size
    same = "matches" if digest == MITBIH_SHA256 else "DIFFERS from"
    print(f"{args.out}: {size / 1e6:.2f} MB, SHA-256 {digest} ({same} the loader's constant)")
    return 0 if digest == MITBIH_SHA256 else 1


if __name__ == "__main__":
    raise SystemExit(main())
