"""README's supported-operator table is the one rendered from the importer and C tables."""
from __future__ import annotations

from hb_testutil import REPO

from harness.codegen.ops import KERNEL_FILES
from harness.codegen.support import README_BEGIN, README_END, render_support_table
from harness.golden import KERNELS
from harness.importers.tflite import OP_TYPES
from harness.importers.validate import SHAPE_RULES


def test_readme_table_is_generated() -> None:
    text = (REPO / "README.md").read_text()
    assert README_BEGIN in text and README_END in text
    table = text.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert table == render_support_table(), (
        "README's operator table is stale: paste `python -m harness.codegen.support`")


def test_every_imported_op_has_golden_kernel_and_shape_rule() -> None:
    for kind, pairs in OP_TYPES.items():
        assert kind in KERNELS and kind in SHAPE_RULES, kind
        for a, _ in pairs:
            assert (kind, a) in KERNEL_FILES, (kind, a)
