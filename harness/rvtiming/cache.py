"""A direct-mapped cache's tags, to count misses (VexRiscv FullCfu: 4 KiB instruction and
data caches, 32-byte lines, one way; its data cache is write-through and, as VexRiscv's
DataCache, refills a line only on a load miss, so only loads are looked up here)."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CacheGeometry", "DirectMappedCache"]


@dataclass(frozen=True)
class CacheGeometry:
    size_bytes: int
    line_bytes: int

    @property
    def lines(self) -> int:
        return self.size_bytes // self.line_bytes


class DirectMappedCache:
    """Tags only: `access(address)` says whether it missed (and fills the line)."""

    def __init__(self, geometry: CacheGeometry) -> None:
        self.shift = geometry.line_bytes.bit_length() - 1
        self.mask = geometry.lines - 1
        self.tags = [-1] * geometry.lines
        self.misses = 0

    def access(self, address: int) -> bool:
        line = address >> self.shift
        index = line & self.mask
        if self.tags[index] == line:
            return False
        self.tags[index] = line
        self.misses += 1
        return True
