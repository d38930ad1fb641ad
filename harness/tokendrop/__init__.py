"""Token dropping for small vision transformers (TinyDrop-style, issue 19): a guide CNN's
class-activation map picks the patches, the ViT runs on the kept tokens only.

    recipe.py  `kind: token-drop` recipes (keep ratios, optional fine-tuning)
    select.py  host-side selection: class maps -> saliency -> top-k -> tokens
    build.py   trained ViT + guide (cached), one static-shape .tflite per keep ratio, checked
    run.py     guide + ViT per input on each target, one row per variant and target
"""
from __future__ import annotations

from .recipe import is_token_drop_recipe, load_token_drop_recipe
from .select import keep_count, saliency, tokens, top_k

__all__ = ["is_token_drop_recipe", "load_token_drop_recipe", "keep_count", "saliency",
           "tokens", "top_k"]
