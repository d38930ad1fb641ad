"""Low-rank factorisation on the digits CNN (quick): every factorised layer becomes two layers
of the chosen rank in the .tflite (bit-exact with LiteRT), the rank comes from `rank` or
`energy`, and a rank above a layer's max rank or a missing/duplicate choice is a clear error."""
from __future__ import annotations

import numpy as np
import pytest
from technique_util import (  # noqa: F401
    NEEDS_LITERT,
    PTQ,
    build_all,
    digits_recipe,
    filters,
    out_channels,
    private_cache,
    torch,
)

from harness.errors import RecipeError
from harness.variants import BuiltVariant, VariantFailure, parse_recipe
from harness.variants.lowrank import LowRankParams, _factorise, _rank

pytestmark = NEEDS_LITERT

VARIANTS = {
    "int8-ptq": [PTQ],
    "low-rank-3": [{"low-rank": {"rank": 3, "epochs": 1}}, PTQ],
    "too-high": [{"low-rank": {"rank": 12}}, PTQ],
}


@pytest.fixture(scope="module")
def built(private_cache: object) -> dict[str, BuiltVariant | VariantFailure]:
    return build_all(digits_recipe(VARIANTS))


def test_each_layer_becomes_two_of_the_rank(built: dict[str, BuiltVariant | VariantFailure]
                                             ) -> None:
    b, ref = built["low-rank-3"], built["int8-ptq"]
    assert isinstance(b, BuiltVariant) and isinstance(ref, BuiltVariant)
    assert b.check["bit_exact"]
    # digits-cnn: conv 1->8 (3x3), conv 8->16 (3x3), FC 16->10; each factorised at rank 3
    shapes = [(k, out_channels(k, f)) for k, f in filters(b.path)]
    assert [c for _, c in shapes] == [3, 8, 3, 16, 3, 10]
    assert [k for k, _ in shapes][-2:] == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    second = filters(b.path)[3][1]
    assert second.shape[1:3] == (1, 1) and second.shape[3] == 3       # 1x1 conv over r inputs
    assert b.params < ref.params and b.macs < ref.macs


def test_rank_above_the_layer_is_a_clear_error(
        built: dict[str, BuiltVariant | VariantFailure]) -> None:
    f = built["too-high"]
    assert isinstance(f, VariantFailure)
    assert "\n" not in f.error
    assert "rank 12 is larger than the max rank 8 of layer body.0.conv" in f.error


@pytest.mark.parametrize("params, match", [
    ({}, "exactly one of rank and energy"),
    ({"rank": 2, "energy": 0.9}, "exactly one of rank and energy"),
    ({"energy": 1.5}, "parameter 'energy'"),
    ({"rank": 0}, "parameter 'rank'"),
])
def test_bad_rank_choices_are_recipe_errors(params: dict[str, object], match: str) -> None:
    with pytest.raises(RecipeError, match=match) as info:
        parse_recipe({"name": "t", "dataset": "digits", "model": {"name": "digits-cnn"},
                      "variants": [{"name": "v", "techniques": [{"low-rank": params}, PTQ]}]})
    assert "\n" not in str(info.value)


def test_full_rank_factorisation_computes_the_same_layer() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 6, (1, 5), stride=(1, 2), padding=(0, 2))
    x = torch.randn(2, 4, 1, 16)
    pair = _factorise(conv, 6)
    assert [m.weight.shape for m in pair] == [(6, 4, 1, 5), (6, 6, 1, 1)]
    torch.testing.assert_close(pair(x), conv(x), atol=1e-5, rtol=1e-5)
    fc = torch.nn.Linear(10, 3)
    y = torch.randn(5, 10)
    torch.testing.assert_close(_factorise(fc, 3)(y), fc(y), atol=1e-5, rtol=1e-5)


def test_energy_picks_the_smallest_rank_keeping_it() -> None:
    u, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64))
    s = torch.tensor([4.0, 2.0, 1.0, 1.0, 0.5, 0.1], dtype=torch.float64)
    fc = torch.nn.Linear(8, 6)
    fc.weight.data = (u @ torch.diag(s) @ v[:6]).float()
    energy = np.cumsum(s.numpy() ** 2) / np.sum(s.numpy() ** 2)     # 0.719, 0.898, 0.943, ...
    assert _rank("fc", fc, LowRankParams(energy=0.85)) == 2
    assert _rank("fc", fc, LowRankParams(energy=0.9)) == 3
    assert _rank("fc", fc, LowRankParams(energy=float(energy[3]) - 1e-6)) == 4
    assert _rank("fc", fc, LowRankParams(energy=1.0)) == 6
