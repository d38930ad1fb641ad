"""Compressed variants of a trained reference model, as checked .tflite files.

    recipe = load_recipe(Path("suites/digits/recipe.yaml"))        # RecipeError on bad input
    for item in build_variants(recipe, quick=False, seed=None, only=None, progress=print):
        BuiltVariant(name, path, techniques, recipe, parent_sha256, params, macs,
                     weight_bits, sparsity, model_bytes, dataset, dataset_sha256,
                     train_seed, timings={"train", "convert", "check"}, cached, check)
        or VariantFailure(name, error, train_seed)

The flow: train the recipe's zoo model (harness.training, cached by content hash), fold its
BatchNorm, apply each variant's technique chain (registry: `techniques.TECHNIQUES`; fp32,
int8-ptq, int8-qat), convert with litert-torch, and check the file against LiteRT's reference
kernels (bit-exact for int8) before handing it on; conversion is cached by content hash too.
`path` is the file in the cache; timings are seconds spent now (0 when cached; training is
counted on the first variant of each seed). int16x8 is not offered: hilbench runs int8 only.
Recipes are parsed without importing litert-torch; `build_variants` imports it when first used.
"""
from __future__ import annotations

import importlib
from typing import Any

from .recipe import Recipe, Step, Variant, load_recipe, parse_recipe
from .technique import Context, Params, Stage, Technique
from .techniques import TECHNIQUES

__all__ = ["load_recipe", "parse_recipe", "build_variants", "BuiltVariant", "VariantFailure",
           "Recipe", "Variant", "Step", "TECHNIQUES", "Technique", "Params", "Stage", "Context",
           "VARIANT_VERSION"]

_LAZY = ("build_variants", "BuiltVariant", "VariantFailure", "VARIANT_VERSION")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.build"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
