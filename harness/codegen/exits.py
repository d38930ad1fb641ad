"""The invoke function of an early-exit model: stage by stage, returning at the first exit
whose rule fires (harness.exits: program.py for the stages, policy.py for the arithmetic).

The output record is every exit's logits in exit order (those after the exit taken are
zero) followed by the taken exit's index as an int32, the layout harness.exits.run_exits
gives. Each exit's rule is one static function `<p>_exit_fires_<k>(logits)`:

    int8     uint32 table sum over max(q) - q_j, compared with K (policy.py)
    float32  expf sum in float, compared with 1/T (hex float literals: exact constants)
    always / never: return 1 / return 0
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from .op_context import OpCode

if TYPE_CHECKING:
    from ..exits import ExitProgram, ExitRule
    from .emit import ArenaPointers

__all__ = ["EXIT_INDEX_BYTES", "exit_functions", "exit_invoke_body"]

EXIT_INDEX_BYTES = 4


def _rule_function(prefix: str, k: int, rule: ExitRule, ctype: str, classes: int) -> list[str]:
    head = [f"/* Exit {k}: {rule.mode}, threshold {rule.threshold!r}, temperature "
            f"{rule.temperature!r}. */",
            f"static int {prefix}_exit_fires_{k}(const {ctype} *x)", "{"]
    if rule.mode in ("always", "never"):
        return [*head, "    (void)x;", f"    return {1 if rule.mode == 'always' else 0};", "}"]
    lines = [*head]
    if rule.mode == "int8":
        lines.append("    static const uint32_t table[256] = {")
        for i in range(0, 256, 8):
            lines.append("        " + ", ".join(f"{v}u" for v in rule.table[i:i + 8]) + ",")
        lines += ["    };", "    int32_t m = x[0];", "    uint32_t s = 0u;",
                  f"    for (uint32_t j = 1u; j < {classes}u; j++) {{",
                  "        if (x[j] > m) {", "            m = x[j];", "        }", "    }",
                  f"    for (uint32_t j = 0u; j < {classes}u; j++) {{",
                  "        s += table[m - (int32_t)x[j]];", "    }",
                  f"    return s <= {rule.bound}u;", "}"]
        return lines
    inv_t, bound = float(rule.inv_temperature).hex(), float(rule.float_bound).hex()
    lines += ["    float m = x[0];", "    float s = 0.0f;",
              f"    for (uint32_t j = 1u; j < {classes}u; j++) {{",
              "        if (x[j] > m) {", "            m = x[j];", "        }", "    }",
              f"    for (uint32_t j = 0u; j < {classes}u; j++) {{",
              f"        s += expf((x[j] - m) * {inv_t}f);", "    }",
              f"    return s <= {bound}f;", "}"]
    return lines


def exit_functions(program: ExitProgram, prefix: str) -> str:
    """File-scope C: one rule function per exit but the last."""
    graph = program.graph
    out = ["#include <math.h>", ""]
    rules = program.rules if program.decides_last else program.rules[:-1]
    for k, rule in enumerate(rules):
        t = graph.tensor(graph.outputs[k])
        ctype = "int8_t" if t.dtype == "int8" else "float"
        out += _rule_function(prefix, k, rule, ctype, t.size)
        out.append("")
    return "\n".join(out)


def exit_invoke_body(program: ExitProgram, prefix: str, pointers: ArenaPointers,
                     codes: Sequence[OpCode], layer_markers: bool) -> list[str]:
    """The statements of `<p>_model_invoke` (after the inputs are copied in)."""
    from .emit import op_call
    graph = program.graph
    logits_bytes = sum(t.nbytes for t in graph.output_tensors())   # (and forwarded tensors)
    body: list[str] = []
    offset = 0
    for k, ops in enumerate(program.stages):
        body.append(f"    /* Stage {k}: {len(ops)} ops up to exit {k}. */")
        for i in ops:
            body += op_call(i, graph.ops[i].kind, graph.ops[i].name, codes[i], layer_markers)
        t = graph.tensor(graph.outputs[k])
        body.append(f"    memcpy(out + {offset}, {pointers.tensor(t.index)}, {t.nbytes});")
        offset += t.nbytes
        last = k == program.exits - 1
        cond = "1" if last and not program.decides_last else \
            f"{prefix}_exit_fires_{k}({pointers.tensor(t.index)})"
        body += [f"    if ({cond}) {{",
                 f"        const int32_t taken = {k};",
                 *([f"        memset(out + {offset}, 0, {logits_bytes - offset});"]
                   if offset < logits_bytes else []),
                 f"        memcpy(out + {logits_bytes}, &taken, {EXIT_INDEX_BYTES});",
                 "        return;", "    }"]
    if program.decides_last:      # a split program: hand the boundary tensors on
        for index in program.forward:
            t = graph.tensor(index)
            body.append(f"    memcpy(out + {offset}, {pointers.tensor(index)}, {t.nbytes});")
            offset += t.nbytes
        body += ["    {", f"        const int32_t onward = {program.exits};",
                 f"        memcpy(out + {logits_bytes}, &onward, {EXIT_INDEX_BYTES});", "    }"]
    return body
