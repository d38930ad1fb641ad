"""One cached, locked Verilator build of hb_bench (shared by the builds of the other cores).

``cached_build(out_dir, cmd, sources)`` runs the Verilator command `cmd` (which writes
``out_dir/obj/hb_bench``) unless a previous build left the same stamp (hash of the sources
and the command); builds of one configuration are serialised with ``<out_dir>.lock``.
"""
from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

from rtl.toolchain import verilator_env


def stamp_of(cmd: list[str], sources: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sources:
        h.update(p.read_bytes())
    h.update("\0".join(cmd[1:]).encode())
    return h.hexdigest()


def cached_build(out_dir: Path, cmd: list[str], sources: list[Path], *, what: str,
                 force: bool = False, verbose: bool = False) -> Path:
    """Build (or reuse) out_dir/obj/hb_bench; raise RuntimeError with the tool's output."""
    exe = out_dir / "obj" / "hb_bench"
    stamp = stamp_of(cmd, sources)
    stamp_file = out_dir / "stamp"
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.parent / f"{out_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building this configuration
        if not force and exe.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
            return exe
        stamp_file.unlink(missing_ok=True)
        if (out_dir / "obj").exists():
            shutil.rmtree(out_dir / "obj")
        out_dir.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(cmd, env=verilator_env(), capture_output=not verbose, text=True)
        if r.returncode != 0 or not exe.exists():
            raise RuntimeError(f"{what} hb_bench build failed ({' '.join(cmd)}):\n"
                               f"{(r.stdout or '')[-3000:]}\n{(r.stderr or '')[-3000:]}")
        stamp_file.write_text(stamp)
        return exe
