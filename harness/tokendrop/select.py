"""Host-side token selection: the guide's class maps -> per-patch saliency -> top-k patches ->
the ViT's input tokens. Pure NumPy, the same on every target (the guide and the ViT run on the
target; this runs between them on the host that drives the board).

    maps (N, 7, 7, classes) --saliency--> (N, 49) --top_k--> positions (N, k), ascending
    images (N, 28, 28, 1) + positions --tokens--> (N, k, 16 + 49)

Saliency is the class-activation map of the guide's predicted class (argmax of the maps'
spatial mean, which is the guide's logits). Ties keep the lower patch index; kept positions
are sorted so that keep ratio 1.0 hands the ViT every patch in raster order (its full-image
forward exactly). Dropping after block b hands the ViT every patch, the kept ones first
(kept_first); the model slices after block b.
"""
from __future__ import annotations

import numpy as np

__all__ = ["saliency", "top_k", "keep_count", "kept_first", "tokens", "confidence"]


def saliency(maps: np.ndarray) -> np.ndarray:
    """(N, H, W, classes) class maps -> (N, H*W) map of each sample's predicted class."""
    if maps.ndim != 4:
        raise ValueError(f"class maps must be (N, H, W, classes), got shape {maps.shape}")
    n, h, w, c = maps.shape
    flat = maps.reshape(n, h * w, c).astype(np.float64)
    predicted = flat.mean(axis=1).argmax(axis=1)
    return flat[np.arange(n), :, predicted]


def confidence(maps: np.ndarray) -> np.ndarray:
    """(N,) the guide's softmax confidence: max over classes of softmax(mean of each map)."""
    logits = maps.reshape(maps.shape[0], -1, maps.shape[-1]).astype(np.float64).mean(axis=1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)).max(axis=1)


def keep_count(ratio: float, positions: int) -> int:
    """How many of `positions` patches a keep ratio keeps (rounded, at least 1)."""
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"keep ratio must be in (0, 1], got {ratio}")
    return max(1, min(positions, int(round(ratio * positions))))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The k highest-scoring positions per row of (N, P) scores, sorted ascending (ties: the
    lower position wins)."""
    if scores.ndim != 2 or not 1 <= k <= scores.shape[1]:
        raise ValueError(f"top-{k} of scores shaped {scores.shape}")
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.sort(order, axis=1).astype(np.int64)


def kept_first(kept: np.ndarray, positions: int) -> np.ndarray:
    """(N, k) kept positions -> (N, positions): the kept ones, then the others, each ascending
    (the input order of a ViT that drops after block b: it keeps its first k tokens)."""
    dropped = np.ones((kept.shape[0], positions), dtype=bool)
    np.put_along_axis(dropped, kept, False, axis=1)
    rest = np.nonzero(dropped)[1].reshape(kept.shape[0], positions - kept.shape[1])
    return np.concatenate([kept, rest], axis=1).astype(np.int64)


def tokens(images: np.ndarray, positions: np.ndarray, patch: int = 4) -> np.ndarray:
    """(N, H, W, C) images and (N, k) positions -> (N, k, patch*patch*C + positions) tokens:
    the patch's pixels (row-major within the patch, channel last) and a one-hot position,
    exactly as `TinyViT.tokens` builds them."""
    n, h, w, c = images.shape
    gh, gw = h // patch, w // patch
    patches = images.reshape(n, gh, patch, gw, patch, c).transpose(0, 1, 3, 2, 4, 5)
    patches = patches.reshape(n, gh * gw, patch * patch * c)
    picked = np.take_along_axis(patches, positions[..., None], axis=1)
    onehot = np.zeros((n, positions.shape[1], gh * gw), dtype=np.float32)
    np.put_along_axis(onehot, positions[..., None], 1.0, axis=2)
    return np.concatenate([picked.astype(np.float32), onehot], axis=2)
