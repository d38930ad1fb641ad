"""ECG beats (MIT-BIH, inter-patient): every variant of recipe.yaml on the selected targets
(`--hil-target`), scored by balanced accuracy on the DS2 patients from the target's own
outputs, recorded.

    pytest suites/ecg --hil-target host --hil-target cortex-m4-iss [--hil-quick] [--hil-subset N]

The goal of issue 10 (balanced accuracy >= 0.65, S sensitivity >= 50 %, int8 within 1 point,
mean of three seeds) is measured by benchmarks/ecg_accuracy.py; this suite guards against a
broken model or target: chance is 0.25 and a working model scores about 0.7.
"""
from __future__ import annotations

from pathlib import Path

from harness.recipe_suite import variant_tests

# balanced accuracy over N/S/V/F a working model keeps, even on a subset
test_variant = variant_tests(Path(__file__).with_name("recipe.yaml"), min_score=0.5)
