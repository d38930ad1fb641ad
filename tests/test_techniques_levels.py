"""Binary and ternary weights on the digits CNN (quick): the .tflite filters of the inner
layers are exactly {-1, +1} / {-1, 0, +1} (first and last stay 8-bit), the files agree bit for
bit with LiteRT's reference kernels, weight_bits says 1 / 2; the quantizers and the observer."""
from __future__ import annotations

import numpy as np
import pytest
from technique_util import (  # noqa: F401
    NEEDS_LITERT,
    PTQ,
    build_all,
    digits_recipe,
    filters,
    private_cache,
    torch,
)

from harness.datasets import load_dataset
from harness.evaluate import model_inputs
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.litert_ref import run_litert
from harness.variants import BuiltVariant, VariantFailure
from harness.variants.stats import filter_bits

pytestmark = NEEDS_LITERT

VARIANTS = {
    "binary": [{"binary": {"epochs": 2}}, PTQ],
    "ternary": [{"ternary": {"epochs": 2}}, PTQ],
    "binary-all": [{"binary": {"epochs": 1, "quantize_first": True, "quantize_last": True}},
                   PTQ],
    "binary-qat": [{"binary": {"epochs": 1}}, {"int8-qat": {"epochs": 1}}],
}


@pytest.fixture(scope="module")
def built(private_cache: object) -> dict[str, BuiltVariant | VariantFailure]:
    return build_all(digits_recipe(VARIANTS))


@pytest.mark.parametrize("name, levels, bits", [("binary", {-1, 1}, 1),
                                                ("ternary", {-1, 0, 1}, 2)])
def test_inner_filters_hold_the_levels(built: dict[str, BuiltVariant | VariantFailure],
                                       name: str, levels: set[int], bits: int) -> None:
    b = built[name]
    assert isinstance(b, BuiltVariant) and b.check["bit_exact"] and b.weight_bits == bits
    layers = filters(b.path)
    assert len(layers) == 3
    first, inner, last = (f for _, f in layers)
    assert set(np.unique(inner).tolist()) <= levels
    if name == "ternary":
        assert 0.1 < np.mean(inner == 0) < 0.7              # TWN zeroes the small weights
    for f in (first, last):                                  # 8-bit: the full int8 range
        assert f.dtype == np.int8 and np.abs(f).max() == 127


def test_levels_everywhere_when_asked(built: dict[str, BuiltVariant | VariantFailure]) -> None:
    b = built["binary-all"]
    assert isinstance(b, BuiltVariant) and b.weight_bits == 1
    for _, f in filters(b.path):
        assert set(np.unique(f).tolist()) <= {-1, 1}


@pytest.mark.parametrize("name", ["binary", "ternary", "binary-all"])
def test_bit_exact_with_litert_on_test_data(built: dict[str, BuiltVariant | VariantFailure],
                                            name: str) -> None:
    b = built[name]
    assert isinstance(b, BuiltVariant)
    d = load_dataset("digits", quick=True)
    graph = load_model(b.path)
    inputs = model_inputs(graph, d.test.x[:60])
    golden = GoldenInterpreter(graph).run(inputs)
    np.testing.assert_array_equal(golden[0], run_litert(b.path, inputs,
                                                        reference_kernels=True)[0])


def test_qat_after_levels_is_refused(built: dict[str, BuiltVariant | VariantFailure]) -> None:
    f = built["binary-qat"]
    assert isinstance(f, VariantFailure) and "end this chain with int8-ptq" in f.error


def test_level_quantizers() -> None:
    from harness.variants._parametrize import Levels, levels

    w = torch.tensor([[0.5, -1.0, 0.1, -0.2], [0.0, 0.0, 0.0, 0.0]])
    b = levels(w, "binary")                     # scale mean|w| = 0.45
    scale = w[0].abs().mean()
    assert torch.equal(b[0], torch.stack([scale, -scale, scale, -scale]))
    t = levels(w, "ternary")                    # threshold 0.7 * 0.45 = 0.315, scale 0.75
    assert torch.equal(t[0], torch.tensor([0.75, -0.75, 0.0, 0.0])) and not t[1].any()
    assert torch.equal(levels(w, "binary")[1], torch.zeros(4))          # zero channel
    x = w.clone().requires_grad_(True)
    Levels("ternary")(x).sum().backward()       # straight through: gradient 1 everywhere
    assert torch.equal(x.grad, torch.ones_like(w))


def test_level_observer_gives_level_channels_their_scale() -> None:
    from harness.variants.observers import LevelWeightObserver

    obs = LevelWeightObserver(dtype=torch.int8, quant_min=-127, quant_max=127,
                              qscheme=torch.per_channel_symmetric, ch_axis=0, eps=2 ** -12)
    w = torch.tensor([[0.3, -0.3, 0.0, 0.3], [0.5, -0.2, 0.1, 0.0]])
    obs(w)
    scale, zero = obs.calculate_qparams()
    assert float(scale[0]) == pytest.approx(0.3) and float(scale[1]) == pytest.approx(0.5 / 127)
    assert torch.equal(torch.round(w[0] / scale[0]), torch.tensor([1.0, -1.0, 0.0, 1.0]))
    assert not zero.any()


def test_filter_bits() -> None:
    assert filter_bits(np.array([1, -1, 1], np.int8)) == 1
    assert filter_bits(np.array([1, 0, -1], np.int8)) == 2
    assert filter_bits(np.array([2, 0, -1], np.int8)) == 8
    assert filter_bits(np.array([1.0, -1.0], np.float32)) == 32
