"""Human activity (BasicMotions): every variant of recipe.yaml on the selected targets
(`--hil-target`), scored on the data set's test split from the target's own outputs, recorded.

    pytest suites/har --hil-target host --hil-target cortex-m4-iss [--hil-quick] [--hil-subset N]
"""
from __future__ import annotations

from pathlib import Path

from harness.recipe_suite import variant_tests

# accuracy a working model keeps; chance is 0.25
test_variant = variant_tests(Path(__file__).with_name("recipe.yaml"), min_score=0.75)
