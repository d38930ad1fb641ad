"""The model zoo: a registry with errors that list the choices, BatchNorm folding that keeps
the function, and models whose fp32 conversion uses only ops hilbench imports (no PAD,
TRANSPOSE, MEAN)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="needs the compress extra: pip install -e '.[compress]'")
pytest.importorskip("litert_torch", reason="needs the compress extra: pip install -e '.[compress]'")

from harness.errors import ModelError
from harness.importers import load_model
from harness.zoo import MODELS, build_model, fold_batchnorm, model_parameters

SHAPES = {"digits-cnn": (8, 8, 1), "fashion-dscnn": (28, 28, 1), "har-cnn": (1, 100, 6)}


def test_registry_errors_list_the_choices() -> None:
    with pytest.raises(ModelError, match="digits-cnn, fashion-dscnn, har-cnn"):
        build_model("lenet")
    with pytest.raises(ModelError, match="accepted: width, classes"):
        build_model("digits-cnn", {"depth": 2})
    with pytest.raises(ModelError, match="kernel must be odd"):
        build_model("har-cnn", {"kernel": 4})
    assert model_parameters("fashion-dscnn") == {"width": 32, "blocks": 3, "classes": 10}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_folding_batchnorm_keeps_the_function(name: str) -> None:
    import torch

    torch.manual_seed(0)
    model = build_model(name)
    model.train()
    with torch.no_grad():                                # non-trivial running statistics
        for _ in range(3):
            model(torch.randn(16, *SHAPES[name]))
    model.eval()
    x = torch.randn(4, *SHAPES[name])
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    torch.testing.assert_close(folded(x), model(x), rtol=1e-4, atol=1e-4)


def test_zoo_models_convert_to_supported_ops(tmp_path: Path) -> None:
    import torch

    from harness.variants.convert import to_tflite
    from harness.variants.technique import Stage

    assert set(MODELS) >= set(SHAPES)
    for name, shape in SHAPES.items():
        model = fold_batchnorm(build_model(name))
        path = to_tflite(Stage(model), torch.zeros(1, *shape), tmp_path / f"{name}.tflite", name)
        graph = load_model(path)                        # UnsupportedOpError otherwise
        kinds = {op.kind for op in graph.ops}
        assert kinds <= {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D",
                         "AVERAGE_POOL_2D"}, (name, kinds)
        assert graph.input_tensors()[0].shape == (1, *shape)
