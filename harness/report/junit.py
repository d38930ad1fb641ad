"""The gate's result as JUnit XML, the format CI systems (GitLab, Jenkins, GitHub actions that
publish test reports) read: one test case per compared (row, metric) or missing/new row.

A regression (and a row or metric missing from the candidate, unless allowed) is a <failure>;
a provenance change or a new row is <skipped> with the reason; the rest pass.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report._io import atomic_write_text
from harness.report.gate import GateResult

__all__ = ["junit_xml", "write_junit"]

_SKIPPED = ("new-in-candidate", "provenance-changed", "modelled-vs-measured")


def junit_xml(result: GateResult) -> str:
    failing = {id(f) for f in result.failures}
    suite = ET.Element("testsuite", name="hilbench gate")
    props = ET.SubElement(suite, "properties")   # first, as the schema orders them
    ET.SubElement(props, "property", name="baseline", value=result.baseline)
    ET.SubElement(props, "property", name="candidate", value=result.candidate)
    ET.SubElement(props, "property", name="verdict", value=result.verdict())
    failures = skipped = 0
    for f in result.findings:
        case = ET.SubElement(suite, "testcase", classname=f.row, name=f.metric or "row")
        if id(f) in failing:
            failures += 1
            ET.SubElement(case, "failure", message=f.line(), type=f.kind).text = f.line()
        elif f.kind in _SKIPPED or f.kind == "missing-in-candidate":
            skipped += 1
            ET.SubElement(case, "skipped", message=f.line())
        else:
            ET.SubElement(case, "system-out").text = f.line()
    suite.set("tests", str(len(result.findings)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="hilbench", tests=suite.get("tests", "0"),
                      failures=str(failures), errors="0", skipped=str(skipped))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: GateResult, path: Path) -> Path:
    return atomic_write_text(Path(path), junit_xml(result))
