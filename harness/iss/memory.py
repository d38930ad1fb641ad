"""The board's memory map as the target YAML describes it (`memory_map:`): RAM regions
(optionally aliases of another region), the console UART, and address ranges that read as
zero and ignore writes (what QEMU calls unimplemented devices). The Cortex-M private
peripheral bus (DWT, SCS) belongs to the CPU, not the board, and is not listed here.

    memory_map:
      regions:
        - {name: ssram1, base: 0x00000000, size: 0x00400000}
        - {name: ssram1-mirror, base: 0x00400000, size: 0x00400000, alias: ssram1}
      uart: {kind: cmsdk-apb-uart, base: 0x40004000}
      unimplemented:
        - {base: 0x40000000, size: 0x00030000}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import TargetConfigError

__all__ = ["Region", "MemoryMap", "MPS2_AN386"]

_PAGE = 0x1000


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    alias: str | None = None


@dataclass(frozen=True)
class MemoryMap:
    regions: tuple[Region, ...]
    uart_base: int
    unimplemented: tuple[tuple[int, int], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = {r.name for r in self.regions}
        for r in self.regions:
            if r.base % _PAGE or r.size % _PAGE or r.size <= 0:
                raise TargetConfigError(
                    f"memory_map region {r.name}: base 0x{r.base:x} and size 0x{r.size:x} "
                    "must be positive multiples of 4 KiB")
            if r.alias is not None and r.alias not in names:
                raise TargetConfigError(
                    f"memory_map region {r.name} is an alias of unknown region {r.alias!r}; "
                    f"regions: {', '.join(sorted(names))}")

    @classmethod
    def from_yaml(cls, data: Mapping[str, Any]) -> MemoryMap:
        """Parse the `memory_map:` mapping of a target.yaml."""
        try:
            regions = tuple(Region(str(r["name"]), int(r["base"]), int(r["size"]),
                                   str(r["alias"]) if r.get("alias") else None)
                            for r in data["regions"])
            uart = data.get("uart") or {}
            if uart.get("kind", "cmsdk-apb-uart") != "cmsdk-apb-uart":
                raise TargetConfigError(f"memory_map.uart.kind {uart.get('kind')!r} is not "
                                        "supported; supported: cmsdk-apb-uart")
            unimpl = tuple((int(u["base"]), int(u["size"]))
                           for u in data.get("unimplemented") or [])
            return cls(regions, int(uart.get("base", 0x40004000)), unimpl)
        except (KeyError, TypeError, ValueError) as exc:
            raise TargetConfigError(f"invalid memory_map in target.yaml: {exc!r}; expected "
                                    "regions: [{name, base, size[, alias]}], uart: {base}") from None


# mps2-an386 (Cortex-M4) as QEMU models it in hw/arm/mps2.c (the AN385 memory layout).
MPS2_AN386 = MemoryMap(
    regions=(
        Region("ssram1", 0x00000000, 0x00400000),
        Region("ssram1-mirror", 0x00400000, 0x00400000, alias="ssram1"),
        Region("blockram", 0x01000000, 0x00004000),
        Region("ssram23", 0x20000000, 0x00400000),
        Region("ssram23-mirror", 0x20400000, 0x00400000, alias="ssram23"),
        Region("psram", 0x21000000, 0x01000000),
    ),
    uart_base=0x40004000,
    unimplemented=((0x40000000, 0x00030000),),
)
