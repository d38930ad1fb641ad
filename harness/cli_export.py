"""`hilbench export`: a model as a PlatformIO project for a board (harness/export.py)."""
from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "cmd_export"]


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_project

    files = export_project(Path(args.model), args.board, Path(args.out), kernels=args.kernels)
    print(f"{args.out}: PlatformIO project of {Path(args.model).name} for {args.board} "
          f"({len(files)} files); build and flash: pio run -d {args.out} -t upload")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = sub.add_parser(
        "export", help="write a model as a PlatformIO project for a board (generated C, "
        "runtime, MLPerf Tiny streaming runner, board support, platformio.ini)")
    e.add_argument("model", metavar="MODEL", help="model file (.tflite)")
    e.add_argument("--board", required=True,
                   help="a target with a platformio: section, e.g. nucleo-l4r5zi or "
                   "mps2-an386-pio (see `hilbench targets`)")
    e.add_argument("--out", required=True, metavar="DIR",
                   help="new (or empty) folder to write the project into")
    e.add_argument("--kernels", default=None, metavar="NAME",
                   help="C kernel set instead of the board's own (ref, armv7em, ...)")
    e.set_defaults(func=cmd_export)
