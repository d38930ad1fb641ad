"""Running models on a Linux board over SSH (the `ssh` backend's parts).

    config.py       target.yaml options of an ssh target -> SshConfig (with ${VAR} expansion)
    connection.py   one paramiko connection: host-key policy, SFTP, remote exec with deadlines,
                    every failure mapped to a hilbench error naming user@host:port and the step
    runner.py       the script shipped to the board: LiteRT warm-up + timed invokes, outputs,
                    power sampling in a background thread (run there as `python runner.py job.json`)
    power.py        power sensor parsers and samplers (stdlib only; shipped next to runner.py)
    figures.py      the runner's raw numbers (latencies, power samples) -> Metrics

Only `runner.py` and `power.py` run on the board; they use the standard library, NumPy and the
board's LiteRT (ai-edge-litert, else tflite-runtime) and nothing from this package.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["BOARD_FILES"]

# The files copied into the per-run directory on the board, by their names there.
BOARD_FILES = {
    "runner.py": Path(__file__).with_name("runner.py"),
    "power.py": Path(__file__).with_name("power.py"),
}
