"""The block counter: per executed basic block, add its instructions and static cycles, and
the pipeline refill P when it was entered by a taken branch.

Two implementations of one `CounterState` (a ctypes struct both sides share):

- native: `blockcount.c`, compiled once per host with the C compiler (`cc`/`gcc`) into the
  build cache and registered as a raw UC_HOOK_BLOCK callback. Python runs only for the first
  execution of each block and when the budget is exceeded. ~20 ns per block.
- Python: the same logic as a Python block hook, used when no C compiler is available.
  ~1 us per block (about 1.5 M simulated instructions per second on the MLPerf Tiny models).

Both give identical counts; `SimResult.counter` says which one ran.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Callable

import unicorn

from ..cache import cached_build, content_key
from ..commands import Command, execute, tool_version, which
from ..errors import BuildError

__all__ = ["CounterState", "BlockCounter", "native_library", "STOP_BUDGET", "STOP_TABLE_FULL"]

SOURCE = Path(__file__).with_name("blockcount.c")
STOP_BUDGET = 1
STOP_TABLE_FULL = 2

NEW_BLOCK_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint64)
STOP_FN = ctypes.CFUNCTYPE(None, ctypes.c_uint64)
_U64P = ctypes.POINTER(ctypes.c_uint64)


class CounterState(ctypes.Structure):
    """Mirror of `struct hb_counter` in blockcount.c (field order and types must match)."""

    _fields_ = [
        ("keys", _U64P),
        ("executions", _U64P),
        ("block_insns", _U64P),
        ("block_cycles", _U64P),
        ("mask", ctypes.c_uint64),
        ("used", ctypes.c_uint64),
        ("instructions", ctypes.c_uint64),
        ("cycles", ctypes.c_uint64),
        ("blocks", ctypes.c_uint64),
        ("taken", ctypes.c_uint64),
        ("fallthrough", ctypes.c_uint64),
        ("refill", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("current", ctypes.c_uint64),
        ("stopped", ctypes.c_uint64),
        ("on_new_block", NEW_BLOCK_FN),
        ("on_stop", STOP_FN),
    ]


_LIBRARY: tuple[ctypes.CDLL | None, str] | None = None


def _compiler() -> str | None:
    for cc in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if cc and which(cc):
            return cc
    return None


def _libunicorn() -> ctypes.CDLL | None:
    """The libunicorn the Python binding loaded (its uc_hook_add takes our C callback)."""
    try:
        from unicorn.unicorn_py3.unicorn import uclib  # unicorn >= 2.1
        return uclib
    except ImportError:
        pass
    try:
        from unicorn.unicorn import _uc  # type: ignore[attr-defined]  # unicorn 2.0
        return _uc
    except ImportError:
        return None


def native_library() -> tuple[ctypes.CDLL | None, str]:
    """(library, how) — the compiled block hook, or (None, why not) to use the Python hook."""
    global _LIBRARY
    if _LIBRARY is not None:
        return _LIBRARY
    if os.environ.get("HILBENCH_ISS_PYTHON_HOOK"):
        _LIBRARY = (None, "Python block hook (HILBENCH_ISS_PYTHON_HOOK is set)")
        return _LIBRARY
    if _libunicorn() is None:
        _LIBRARY = (None, "Python block hook (this unicorn binding does not expose libunicorn)")
        return _LIBRARY
    cc = _compiler()
    if cc is None or not SOURCE.is_file():
        _LIBRARY = (None, "Python block hook (no C compiler found for the native hook: "
                          "install gcc for ~10x faster simulation)")
        return _LIBRARY
    flags = ("-O2", "-shared", "-fPIC")
    key = content_key([SOURCE, tool_version([cc, "--version"]), *flags])

    def build(out: Path) -> None:
        execute(Command((cc, *flags, str(SOURCE), "-o", str(out / "libhbblockcount.so"))),
                error=BuildError)

    try:
        folder, _ = cached_build("iss-native", key, build)
        lib = ctypes.CDLL(str(folder / "libhbblockcount.so"))
    except (BuildError, OSError) as exc:
        _LIBRARY = (None, f"Python block hook (native hook failed to build: {exc})")
        return _LIBRARY
    _LIBRARY = (lib, f"native block hook ({cc} {' '.join(flags)})")
    return _LIBRARY


def _capacity(code_bytes: int) -> int:
    """A power of two with room for one block per halfword of code, half full at most."""
    need = max(4096, code_bytes + 1024)
    return 1 << (need - 1).bit_length()


class BlockCounter:
    """Owns the counter state and its tables and hooks it into a Unicorn engine."""

    def __init__(self, code_bytes: int, refill: int, budget: int,
                 on_new_block: Callable[[int, int, int], None],
                 on_stop: Callable[[int], None]) -> None:
        cap = _capacity(code_bytes)
        self.capacity = cap
        self._arrays = [(ctypes.c_uint64 * cap)() for _ in range(4)]
        self.keys, self.executions, self.block_insns, self.block_cycles = self._arrays
        # The ctypes callbacks must stay referenced as long as the engine may call them.
        self._new_block = NEW_BLOCK_FN(on_new_block)
        self._stop = STOP_FN(on_stop)
        self.state = CounterState(
            keys=ctypes.cast(self.keys, _U64P), executions=ctypes.cast(self.executions, _U64P),
            block_insns=ctypes.cast(self.block_insns, _U64P),
            block_cycles=ctypes.cast(self.block_cycles, _U64P),
            mask=cap - 1, refill=refill, budget=budget,
            on_new_block=self._new_block, on_stop=self._stop,
        )
        self._on_new_block = on_new_block
        self._on_stop = on_stop
        self.how = ""

    def start_at(self, address: int) -> None:
        """The first block is not a taken branch: it starts where execution starts."""
        self.state.fallthrough = address & ~1

    def attach(self, uc: unicorn.Uc) -> None:
        lib, how = native_library()
        self.how = how
        if lib is None:
            uc.hook_add(unicorn.UC_HOOK_BLOCK, self._python_hook)
            return
        uclib = _libunicorn()
        assert uclib is not None
        handle = ctypes.c_size_t()
        hook = ctypes.cast(lib.hb_block_hook, ctypes.c_void_p)
        status = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), unicorn.UC_HOOK_BLOCK,
                                   hook, ctypes.c_void_p(ctypes.addressof(self.state)),
                                   ctypes.c_uint64(1), ctypes.c_uint64(0))
        if status != unicorn.UC_ERR_OK:
            raise unicorn.UcError(status)

    def _python_hook(self, uc: unicorn.Uc, address: int, size: int, _data: object) -> None:
        s = self.state
        key = address | (size << 32)
        mask = s.mask
        i = ((key * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 17 & mask
        keys = self.keys
        while keys[i] != key:
            if keys[i] == 0:
                if 2 * (s.used + 1) > mask + 1:
                    if not s.stopped:
                        s.stopped = STOP_TABLE_FULL
                        self._on_stop(STOP_TABLE_FULL)
                    return
                keys[i] = key
                s.used += 1
                self._on_new_block(address, size, i)
                break
            i = (i + 1) & mask
        s.current = i
        self.executions[i] += 1
        s.blocks += 1
        if address != s.fallthrough:
            s.taken += 1
            s.cycles += s.refill
        s.fallthrough = address + size
        s.instructions += self.block_insns[i]
        s.cycles += self.block_cycles[i]
        if s.instructions > s.budget and not s.stopped:
            s.stopped = STOP_BUDGET
            self._on_stop(STOP_BUDGET)

