"""Where the repository's folders are: computed once, here, from this package's location."""
from __future__ import annotations

from pathlib import Path

__all__ = ["REPO_ROOT", "TARGETS_DIR", "MODELS_DIR", "KERNELS_DIR"]

# The checkout (or install prefix) holding harness/, targets/, models/ and rtl/.
REPO_ROOT = Path(__file__).resolve().parent.parent
TARGETS_DIR = REPO_ROOT / "targets"
MODELS_DIR = REPO_ROOT / "models"
# The C kernel sets (a target's `kernels:` names one of its folders).
KERNELS_DIR = Path(__file__).resolve().parent / "codegen" / "kernels"
