"""Run LiteRT in a child process, so a model that crashes LiteRT cannot take hilbench down.

LiteRT is a C++ library: some malformed models that it accepts at load time crash it inside a
kernel (a RESHAPE whose optional shape input is -1 dereferences a null tensor: SIGSEGV). The
reference check and the fuzzer run untrusted files through it, so they go through
`run_litert_isolated`: the child (`python -m harness.litert_child IN OUT`) loads the model and
the inputs from an .npz, runs `litert_ref.run_litert` and writes the outputs to another .npz.
A crash or a refusal comes back as `LiteRTFailed` with one line saying which; the child costs
about 0.2 s (interpreter start and imports).
"""
from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["LiteRTFailed", "run_litert_isolated"]

CHILD_TIMEOUT_S = 600.0


class LiteRTFailed(Exception):
    """LiteRT refused the model, crashed on it, or did not finish: the message says which."""


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_litert_isolated(model_path: str | Path, inputs: Sequence[np.ndarray],
                        reference_kernels: bool = True,
                        timeout_s: float = CHILD_TIMEOUT_S) -> list[np.ndarray]:
    """`litert_ref.run_litert` in a child process: the same outputs, or LiteRTFailed."""
    with tempfile.TemporaryDirectory(prefix="hilbench-litert-") as tmp:
        src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        arrays: dict[str, Any] = {f"x{k}": x for k, x in enumerate(inputs)}
        np.savez(src, model=np.array(str(Path(model_path).resolve())),
                 reference=np.array(reference_kernels), **arrays)
        try:
            done = subprocess.run([sys.executable, "-m", "harness.litert_child", str(src),
                                   str(dst)], capture_output=True, text=True,
                                  timeout=timeout_s, cwd=Path(__file__).resolve().parent.parent)
        except subprocess.TimeoutExpired:
            raise LiteRTFailed(f"LiteRT did not finish within {timeout_s:.0f} s") from None
        if done.returncode < 0:
            raise LiteRTFailed(f"LiteRT crashed ({_signal_name(done.returncode)}) running "
                               "this model")
        if done.returncode != 0 or not dst.exists():
            lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
            raise LiteRTFailed(lines[-1] if lines else f"LiteRT exited with {done.returncode}")
        with np.load(dst) as out:
            return [out[f"y{k}"] for k in range(len(out.files))]


def _main(src: Path, dst: Path) -> int:
    from .litert_ref import run_litert

    with np.load(src) as data:
        model = str(data["model"])
        reference = bool(data["reference"])
        inputs = [data[f"x{k}"] for k in range(len(data.files) - 2)]
    try:
        outputs = run_litert(model, inputs, reference_kernels=reference)
    except Exception as exc:   # reported to the parent as one line on stderr
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    arrays: dict[str, Any] = {f"y{k}": y for k, y in enumerate(outputs)}
    np.savez(dst, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1]), Path(sys.argv[2])))
