"""Early exits: multi-exit models cut into stages, an integer exit policy, and their golden run.

    spec = read_exits(path)                      # which output is which exit (file metadata)
    program = build_program(graph, spec, 0.9)    # stages + one rule per exit
    outputs = run_exits(program, inputs)         # logits per exit + the exit index

meta.py (exit order and calibration in the .tflite), policy.py (the decision, bit-exact
with the C), program.py (stages), golden.py (the staged reference run), calibrate.py
(temperature scaling on a validation split).
"""
from __future__ import annotations

from .golden import exit_index, run_exits
from .meta import ExitInfo, ExitSpec, annotate, exit_outputs, read_exits
from .policy import ExitRule, fires, make_rule
from .program import ExitProgram, build_program, stage_ops, thresholds_for

__all__ = ["ExitInfo", "ExitSpec", "ExitRule", "ExitProgram", "annotate", "build_program",
           "exit_index", "exit_outputs", "fires", "make_rule", "read_exits", "run_exits",
           "stage_ops", "thresholds_for"]
