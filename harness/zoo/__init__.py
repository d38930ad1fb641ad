"""The model zoo: PyTorch reference models that convert to the ops hilbench runs.

    build_model("digits-cnn", {"width": 8}) -> nn.Module taking channel-last (N, H, W, C)

One file per model, each with a `build(**params) -> nn.Module`, registered in `MODELS`.
Models use `blocks.ConvBlock` so `fold_batchnorm` can fold BatchNorm before conversion.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from torch import nn

from ..errors import ModelError
from . import digits_cnn, ecg_cnn, ecg_cnn_exits, fashion_dscnn, guide_cnn, har_cnn, tiny_vit
from .blocks import ChannelLast, ConvBlock, fold_batchnorm
from .multi_exit import MultiExit

__all__ = ["MODELS", "build_model", "model_parameters", "ChannelLast", "ConvBlock",
           "fold_batchnorm", "MultiExit"]

MODELS: dict[str, Callable[..., nn.Module]] = {
    "digits-cnn": digits_cnn.build,
    "fashion-dscnn": fashion_dscnn.build,
    "har-cnn": har_cnn.build,
    "ecg-cnn": ecg_cnn.build,
    "ecg-cnn-exits": ecg_cnn_exits.build,
    "tiny-vit": tiny_vit.build,
    "guide-cnn": guide_cnn.build,
}


def _factory(name: str) -> Callable[..., nn.Module]:
    if name not in MODELS:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return MODELS[name]


def model_parameters(name: str) -> dict[str, Any]:
    """The keyword parameters a model accepts, with their defaults."""
    return {p.name: p.default for p in inspect.signature(_factory(name)).parameters.values()}


def build_model(name: str, params: dict[str, Any] | None = None) -> nn.Module:
    """Build a registered model; ModelError lists the known models or accepted parameters."""
    factory = _factory(name)
    params = dict(params or {})
    accepted = model_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ModelError(f"model {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                         f"accepted: {', '.join(accepted) or 'none'}")
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"model {name!r} with {params}: {exc}") from None
