"""Knowledge distillation on digits (quick): the student replaces the model (its parameter
count, in the .tflite too), it learns from the teacher, and a bad student is an error."""
from __future__ import annotations

import pytest
from technique_util import (  # noqa: F401
    NEEDS_LITERT,
    PTQ,
    build_all,
    digits_recipe,
    private_cache,
)

from harness.accuracy import predictions, score
from harness.datasets import load_dataset
from harness.evaluate import model_inputs
from harness.golden import GoldenInterpreter
from harness.importers import load_model
from harness.variants import BuiltVariant, VariantFailure
from harness.zoo import build_model, fold_batchnorm

pytestmark = NEEDS_LITERT

STUDENT = {"name": "digits-cnn", "params": {"width": 4}}
VARIANTS = {
    "int8-ptq": [PTQ],
    "student": [{"distill": {"student": STUDENT, "epochs": 8, "lr": 0.01}}, PTQ],
    "pruned-student": [{"prune-structured": {"ratio": 0.25, "epochs": 1}},
                       {"distill": {"student": STUDENT, "epochs": 2, "temperature": 2,
                                    "alpha": 0.5}}, PTQ],
    "bad-student": [{"distill": {"student": {"name": "digits-cnn",
                                             "params": {"classes": 3}}}}, PTQ],
}


@pytest.fixture(scope="module")
def built(private_cache: object) -> dict[str, BuiltVariant | VariantFailure]:
    return build_all(digits_recipe(VARIANTS))


def _accuracy(b: BuiltVariant) -> float:
    d = load_dataset("digits", quick=True)
    graph = load_model(b.path)
    out = GoldenInterpreter(graph).run(model_inputs(graph, d.test.x))
    return score(d.test.y, predictions(out[0]), d.classes).accuracy


def test_student_replaces_the_model(built: dict[str, BuiltVariant | VariantFailure]) -> None:
    b, ref = built["student"], built["int8-ptq"]
    assert isinstance(b, BuiltVariant) and isinstance(ref, BuiltVariant)
    student = fold_batchnorm(build_model("digits-cnn", {"width": 4}))
    assert b.params == sum(p.numel() for p in student.parameters()) < ref.params
    assert b.check["bit_exact"]
    assert _accuracy(b) > 0.6                           # learnt (chance is 0.1)


def test_chain_prune_then_distill(built: dict[str, BuiltVariant | VariantFailure]) -> None:
    b = built["pruned-student"]
    assert isinstance(b, BuiltVariant)
    assert [t["name"] for t in b.techniques] == ["prune-structured", "distill", "int8-ptq"]
    assert b.params == built["student"].params          # type: ignore[union-attr]


def test_student_with_other_outputs_is_refused(
        built: dict[str, BuiltVariant | VariantFailure]) -> None:
    f = built["bad-student"]
    assert isinstance(f, VariantFailure)
    assert "student digits-cnn gives outputs of shape (1, 3), the teacher (1, 10)" in f.error
