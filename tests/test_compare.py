"""harness.compare: the agreement contract (int8 bit-exact, float within tolerance and top-1),
NaN handling included."""
from __future__ import annotations

import numpy as np

from harness.compare import compare


def test_int8_any_difference_is_a_mismatch() -> None:
    a = np.array([[1, 2, 3]], np.int8)
    b = np.array([[1, 2, 4]], np.int8)
    r = compare([a], [b])
    assert not r.bit_exact and not r.ok and r.mismatches == 1 and r.max_diff_quant_steps == 1
    assert compare([a], [a.copy()]).bit_exact


def test_float_within_tolerance_is_ok_but_not_bit_exact() -> None:
    a = np.array([[0.5, 2.0, 1.0]], np.float32)
    b = a + np.float32(1e-6)
    r = compare([a], [b])
    assert not r.bit_exact and r.within_tolerance and r.ok and r.top1_agreement == 1.0


def test_nan_where_both_have_nan_agrees() -> None:
    a = np.array([[np.nan, 2.0, 1.0]], np.float32)
    r = compare([a], [a.copy()])
    assert r.bit_exact and r.ok and r.mismatches == 0 and r.max_abs_diff == 0.0


def test_nan_against_a_number_is_a_mismatch_outside_tolerance() -> None:
    a = np.array([[np.nan, 2.0, 1.0]], np.float32)
    b = np.array([[0.0, 2.0, 1.0]], np.float32)
    for got, want in ((a, b), (b, a)):
        r = compare([got], [want])
        assert r.mismatches == 1 and not r.within_tolerance and r.max_abs_diff == np.inf


def test_equal_infinities_agree() -> None:
    a = np.array([[np.inf, -np.inf, 1.0]], np.float32)
    r = compare([a], [a.copy()])
    assert r.bit_exact and r.ok and r.max_abs_diff == 0.0
