"""A tiny vision transformer for 28x28 images that can run on a subset of its patches.

    image (N, 28, 28, 1) -> 49 patches of 4x4 -> tokens (N, 49, 16 + 49)
    tokens: each patch's 16 pixels followed by the one-hot code of its position (0..48)
    -> embed (one Linear: patch projection + position embedding) -> [class token] + tokens
    -> `depth` pre-norm blocks (multi-head self-attention, MLP with GELU) -> LayerNorm(class)
    -> Linear -> logits

Because a token carries its own position, `forward_tokens` accepts any number of tokens in any
order: token dropping hands it the kept patches only, and the deployed model is static-shape
per keep ratio (input (1, k, 65)). Dropping after block b: the input is all 49 tokens, the kept
ones first, and the model keeps the class token and the first k tokens after block b. The one-hot position times the embedding's position rows is
exactly the learned position embedding of that patch, so no GATHER and no integer input is
needed. `forward(image)` is `forward_tokens(all 49 tokens in raster order)`: keep ratio 1.0
reproduces it exactly.
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["build", "TinyViT", "patchify"]


def patchify(x: torch.Tensor, patch: int) -> torch.Tensor:
    """(N, H, W, C) channel-last images -> (N, H/p * W/p, p*p*C) patches in raster order."""
    n, h, w, c = x.shape
    g_h, g_w = h // patch, w // patch
    x = x.reshape(n, g_h, patch, g_w, patch, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(n, g_h * g_w, patch * patch * c)


class LayerNorm(nn.Module):
    """LayerNorm over the last axis written out (MEAN, SUB, MUL, RSQRT, ADD in TFLite):
    litert-torch's own lowering of nn.LayerNorm reduces over the batch axis too, which the
    golden interpreter (batched along a leading axis of 1) cannot run."""

    def __init__(self, width: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(dim=-1, keepdim=True)
        var = (centred * centred).mean(dim=-1, keepdim=True)
        return centred * torch.rsqrt(var + self.eps) * self.weight + self.bias


class Attention(nn.Module):
    """Multi-head self-attention, one (T, D) x (D, T) matmul per head (BATCH_MATMUL with a
    batch of 1 in TFLite; a heads axis would be folded into the batch axis by the converter)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not a multiple of heads {heads}")
        self.heads, self.dim = heads, width // heads
        self.q = nn.ModuleList(nn.Linear(width, self.dim) for _ in range(heads))
        self.k = nn.ModuleList(nn.Linear(width, self.dim) for _ in range(heads))
        self.v = nn.ModuleList(nn.Linear(width, self.dim) for _ in range(heads))
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = 1.0 / math.sqrt(self.dim)
        outs = []
        for q, k, v in zip(self.q, self.k, self.v):
            attn = torch.softmax((q(x) * scale) @ k(x).transpose(1, 2), dim=-1)
            outs.append(attn @ v(x))
        return self.proj(torch.cat(outs, dim=-1))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = LayerNorm(width), LayerNorm(width)
        self.attn = Attention(width, heads)
        self.mlp = nn.Sequential(nn.Linear(width, mlp), nn.GELU(approximate="tanh"),
                                 nn.Linear(mlp, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """The ViT; see the module docstring. `positions` = (image / patch)^2 token positions."""

    def __init__(self, image: int = 28, patch: int = 4, channels: int = 1, width: int = 64,
                 depth: int = 4, heads: int = 4, mlp: int = 128, classes: int = 10) -> None:
        super().__init__()
        if image % patch:
            raise ValueError(f"image size {image} is not a multiple of the patch size {patch}")
        self.patch, self.positions = patch, (image // patch) ** 2
        self.pixels = patch * patch * channels
        self.embed = nn.Linear(self.pixels + self.positions, width)
        nn.init.trunc_normal_(self.embed.weight, std=0.02)
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.blocks = nn.Sequential(*(Block(width, heads, mlp) for _ in range(depth)))
        self.norm = LayerNorm(width)
        self.head = nn.Linear(width, classes)

    @property
    def token_size(self) -> int:
        return self.pixels + self.positions

    def tokens(self, images: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        """The ViT's input tokens (N, k, pixels + positions) of channel-last `images`, for the
        patches `positions` (N, k) (default: all, in raster order)."""
        patches = patchify(images, self.patch)
        n = patches.shape[0]
        if positions is None:
            positions = torch.arange(self.positions).expand(n, -1)
        picked = torch.gather(patches, 1, positions[..., None].expand(-1, -1, self.pixels))
        onehot = nn.functional.one_hot(positions, self.positions).to(patches.dtype)
        return torch.cat([picked, onehot], dim=-1)

    def forward_tokens(self, tokens: torch.Tensor, after_block: int | None = None,
                       keep: int = 0) -> torch.Tensor:
        """Logits of (N, k, token_size) tokens, any k >= 1. With `after_block` b, blocks
        0..b-1 see every token and the later ones the class token and the first `keep`
        tokens only (the caller orders the tokens kept first: token dropping after block b)."""
        h = self.embed(tokens)
        h = torch.cat([self.cls.expand(h.shape[0], -1, -1), h], dim=1)
        for b, block in enumerate(self.blocks):
            if b == after_block:
                h = h[:, :1 + keep]
            h = block(h)
        return self.head(self.norm(h[:, 0]))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.forward_tokens(self.tokens(images))


def build(width: int = 64, depth: int = 4, heads: int = 4, mlp: int = 128, patch: int = 4,
          classes: int = 10) -> nn.Module:
    """The tiny ViT for (28, 28, 1) images; 138 k parameters with the defaults."""
    return TinyViT(28, patch, 1, width, depth, heads, mlp, classes)
