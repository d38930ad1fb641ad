"""Content-hash build cache: a build is keyed by the hash of everything that determines it
(sources, flags, tool versions) and stored once under the cache folder.

Safe with several pytest-xdist workers: each builds into its own temporary folder and
renames it into place; the loser of a race discards its copy and uses the winner's."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from .errors import BuildError

__all__ = ["cache_root", "content_key", "cached_build"]


def cache_root() -> Path:
    """$HILBENCH_CACHE, else $XDG_CACHE_HOME/hilbench, else ~/.cache/hilbench."""
    if os.environ.get("HILBENCH_CACHE"):
        return Path(os.environ["HILBENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hilbench"


def content_key(parts: Iterable[str | bytes | Path]) -> str:
    """sha256 over the parts in order; a Path contributes its name and its bytes."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            h.update(part.name.encode())
            h.update(part.read_bytes())
        elif isinstance(part, str):
            h.update(part.encode())
        else:
            h.update(part)
        h.update(b"\0")
    return h.hexdigest()


def cached_build(kind: str, key: str, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Return (folder, hit). On a miss, `build(tmp)` fills a fresh folder that then becomes
    the cache entry; if `build` raises, nothing is left in the cache."""
    root = cache_root()
    final = root / kind / key[:32]
    if (final / ".complete").exists():
        return final, True
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=final.parent))
    except OSError as exc:
        raise BuildError(
            f"cannot use the build cache folder {root}: {exc.strerror or exc} ({exc.filename}); "
            "point HILBENCH_CACHE (or XDG_CACHE_HOME) at a writable folder") from None
    try:
        build(tmp)
        (tmp / ".complete").write_text(key)
        try:
            os.rename(tmp, final)
        except OSError:  # another worker won the race (or a stale incomplete entry)
            if not (final / ".complete").exists():
                shutil.rmtree(final, ignore_errors=True)
                os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final, False
