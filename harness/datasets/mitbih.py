"""MIT-BIH Arrhythmia Database, inter-patient (de Chazal 2004), AAMI classes N/S/V/F.

    load() -> Dataset: train/val from DS1 (validation = whole held-out records), test = DS2

Reads the beat bundle shipped with hilbench (`data/mitbih_beats.npz`, built bit-identically
from the PhysioNet records by `scripts/build_mitbih.py`; see `data/README.md`) and checks its
SHA-256. Q beats (15 in DS1+DS2) are dropped: the goal is stated on N/S/V/F.

Why the features look like this: morphology alone does not carry over to unseen patients
(their beats differ more between patients than between classes), while S beats are defined by
their prematurity. So everything is judged against the patient's own normal: each sample,
(1, 128, 6) channel-last, holds the beat (0.256 s before to 0.45 s after the R peak at
180 Hz, scaled by its own peak), the beat minus its record's median beat (the patient's
dominant morphology), and four ratios broadcast along time: pre-RR and post-RR over the record's mean RR, pre-RR
over the mean of the last 10 RR intervals (a pre-RR of 0.7 x the usual is premature in every
patient), and the beat's peak over the record's median peak. Ratios enter as ratio - 1, every
channel clipped to [-1, 1] (one int8 input scale fits all). Extra channels, not a second
input branch, so the deployed network needs no concatenation. The record statistics use the
whole half-hour record, as de Chazal's RR averages do (a device would keep running
averages); they use no labels, so a test patient's statistics leak nothing.

Validation holds out whole DS1 records (patients), never beats of training patients: a
beat-level split scores patients the model has seen and overrates it, while a patient-level
split is scored like DS2.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .base import Dataset, Split, stratified_indices, verify_sha256

__all__ = [
    "AFTER",
    "BEFORE",
    "BUNDLE",
    "CLASSES",
    "DS1",
    "DS2",
    "FS",
    "MITBIH_SHA256",
    "RR_FEATURES",
    "VAL_RECORDS",
    "beat_features",
    "beat_table",
    "load",
    "record_templates",
    "rr_features",
    "samples",
    "split_indices",
]

CLASSES: tuple[str, ...] = ("N", "S", "V", "F")
# AAMI EC57 mapping of the beat annotation symbols; 4 = Q (dropped by load()).
AAMI: dict[str, int] = {
    **dict.fromkeys("NLRej", 0), **dict.fromkeys("AaJS", 1), **dict.fromkeys("VE", 2),
    "F": 3, **dict.fromkeys("/fQ", 4)}
DS1: list[int] = [101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205,
                  207, 208, 209, 215, 220, 223, 230]
DS2: list[int] = [100, 103, 105, 111, 113, 117, 121, 123, 200, 202, 210, 212, 213, 214, 219,
                  221, 222, 228, 231, 232, 233, 234]
# Held-out DS1 patients for validation: they hold S, V and F beats (206 / 607 / 30) while the
# records richest in S (209, 201, 207, 220) and F (208) stay in training.
VAL_RECORDS: list[int] = [101, 118, 124, 205, 223]

FS = 180                  # Hz after decimation of the 360 Hz records
BEFORE, AFTER = 46, 82    # window samples before / from the R peak: 128 samples, 0.71 s
BUNDLE = Path(__file__).resolve().parent / "data" / "mitbih_beats.npz"
MITBIH_SHA256 = "bda9f90b9922b0132008af29ba24699611f6e213c10879518a638ca45c16b08e"
QUICK_TRAIN = 6000        # beats in the quick (CI) training split
RR_FEATURES: tuple[str, ...] = ("pre/mean", "post/mean", "pre/local", "amp/median")
LOCAL_BEATS = 10          # beats in the local RR average (the current one and 9 before)

_REMEDY = ("rebuild it from the PhysioNet MIT-BIH records with "
           "`python scripts/build_mitbih.py /path/to/mitdb`, or restore it from git")


def beat_table(root: Path | None = None) -> dict[str, np.ndarray]:
    """The bundle's arrays, checked: record, sample (R peak at 360 Hz), label (0-4 = N S V F Q),
    valid, beat (int8, (n, 128)), scale (peak |x| of the beat before int8 scaling)."""
    path = BUNDLE if root is None else Path(root) / BUNDLE.name
    verify_sha256(path, MITBIH_SHA256, _REMEDY)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {key: z[key] for key in z.files}
    except (OSError, ValueError, KeyError) as e:
        raise DatasetError(f"{path} cannot be read ({e}); {_REMEDY}") from e


def rr_features(record: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Per beat (n, 3): pre-RR / record mean RR, post-RR / record mean RR, pre-RR / local mean RR.

    Computed over each record's full beat sequence (every annotated beat, Q included); the
    first and last beat of a record take their one neighbouring interval for both."""
    out = np.zeros((len(sample), 3), dtype=np.float64)
    for rec in np.unique(record):
        idx = np.flatnonzero(record == rec)
        s = sample[idx].astype(np.float64)
        rr = np.diff(s)
        pre = np.concatenate([rr[:1], rr])
        post = np.concatenate([rr, rr[-1:]])
        mean = rr.mean()
        csum = np.concatenate([[0.0], np.cumsum(pre)])
        pos = np.arange(len(pre))
        lo = np.maximum(pos + 1 - LOCAL_BEATS, 0)
        local = (csum[pos + 1] - csum[lo]) / (pos + 1 - lo)
        out[idx] = np.stack([pre / mean, post / mean, pre / local], axis=1)
    return out


def beat_features(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every per-beat scalar feature by name, each a ratio near 1 for a typical beat."""
    rr = rr_features(table["record"], table["sample"])
    feats = {"pre/mean": rr[:, 0], "post/mean": rr[:, 1], "pre/local": rr[:, 2],
             "post/pre": rr[:, 1] / rr[:, 0]}
    # Beat peak amplitude / the record's median beat peak: V beats are larger than the
    # patient's own normal beats, whatever the patient's absolute amplitude.
    scale = table["scale"].astype(np.float64)
    amp = np.ones_like(scale)
    for rec in np.unique(table["record"]):
        idx = np.flatnonzero((table["record"] == rec) & table["valid"])
        amp[idx] = scale[idx] / np.median(scale[idx])
    feats["amp/median"] = amp
    return feats


def record_templates(table: dict[str, np.ndarray]) -> np.ndarray:
    """Per beat, its record's median beat (float32, (n, 128), peak-scaled like the beats):
    the patient's dominant morphology, against which a beat's own shape is judged."""
    beats = table["beat"]
    out = np.zeros(beats.shape, dtype=np.float32)
    for rec in np.unique(table["record"]):
        idx = np.flatnonzero((table["record"] == rec) & table["valid"])
        out[idx] = np.median(beats[idx], axis=0).astype(np.float32) / 127.0
    return out


def samples(table: dict[str, np.ndarray], keep: np.ndarray,
            features: tuple[str, ...] = RR_FEATURES, template: bool = True) -> np.ndarray:
    """(n, 1, 128, 1 + template + k) float32 channel-last: the beat in [-1, 1]; with
    `template`, the beat minus its record's median beat; then each feature's ratio - 1. All
    clipped to [-1, 1] so every channel shares one int8 input scale."""
    all_feats = beat_features(table)
    beat = table["beat"][keep].astype(np.float32) / 127.0
    extra = 1 if template else 0
    x = np.empty((len(keep), 1, beat.shape[1], 1 + extra + len(features)), dtype=np.float32)
    x[:, 0, :, 0] = beat
    if template:
        x[:, 0, :, 1] = np.clip(beat - record_templates(table)[keep], -1.0, 1.0)
    for i, name in enumerate(features):
        x[:, 0, :, 1 + extra + i] = np.clip(all_feats[name][keep] - 1.0, -1.0, 1.0)[:, None]
    return x


def split_indices(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Indices into the bundle of the usable beats of train, val and test."""
    usable = table["valid"] & (table["label"] < len(CLASSES))
    train_recs = [r for r in DS1 if r not in VAL_RECORDS]
    return {name: np.flatnonzero(usable & np.isin(table["record"], recs))
            for name, recs in (("train", train_recs), ("val", VAL_RECORDS), ("test", DS2))}


def load(root: Path | None = None, quick: bool = False) -> Dataset:
    """The inter-patient MIT-BIH data set (see the module docstring); `root` is the folder of
    the bundle (default: the one shipped in harness/datasets/data)."""
    table = beat_table(root)
    parts = {name: Split(samples(table, keep), table["label"][keep].astype(np.int64))
             for name, keep in split_indices(table).items()}
    train = parts["train"]
    if quick:
        train = train.take(stratified_indices(train.y, QUICK_TRAIN, seed=0))
    return Dataset(
        name="mitbih",
        classes=CLASSES,
        train=train,
        val=parts["val"],
        test=parts["test"],
        sha256=MITBIH_SHA256,
        source=("MIT-BIH Arrhythmia Database 1.0.0 (PhysioNet, Moody & Mark 2001), "
                "ODC-By 1.0; inter-patient DS1/DS2 split of de Chazal et al. 2004"),
        primary_metric="balanced_accuracy",
        notes={"split": f"train: DS1 minus records {VAL_RECORDS}; val: those records; test: DS2",
               "sample": "(1, 128, 6) channel-last: beat (180 Hz, R peak at index 46, "
                         "peak-scaled), beat - record median beat, then "
                         + ", ".join(RR_FEATURES) + " (ratio - 1, clipped to [-1, 1])",
               "dropped": "Q beats, paced records 102/104/107/217, first/last beat and beats "
                          "within the window of a record's edges"},
    )
