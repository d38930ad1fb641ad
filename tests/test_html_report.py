"""`hilbench report --html` in a real browser: Debian's chromium, headless, driven by its
chromedriver through selenium. The page is opened from disk (file://); its table rows are
checked against the store, a sort and a filter are exercised, every image loads from a data
URI (no request leaves the page), and a screenshot is checked not to be blank. The browser is
started by the test and always stopped."""
from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_store import RUNS, build_store

from harness.cli import main
from harness.report.gate import keyed_rows

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="chromium or chromedriver missing (Debian: apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("html")
    store = tmp / "results.sqlite"
    build_store(store)
    assert main(["gate", "--results", str(store), "--baseline", RUNS[0], "--candidate",
                 RUNS[1]]) == 0  # kws got faster: improvements only, and new digits rows
    assert main(["report", "--html", "--results", str(store), "--out", str(tmp / "out")]) == 0
    return store, tmp / "out" / "report.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=str(DRIVER)),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _visible_rows(driver: object) -> list[object]:
    return [r for r in driver.find_elements(By.CSS_SELECTOR, "#summary tbody tr")  # type: ignore[attr-defined]
            if r.is_displayed()]


def _column(driver: object, header: str) -> int:
    heads = [h.text.strip() for h in driver.find_elements(By.CSS_SELECTOR, "#summary thead th")]  # type: ignore[attr-defined]
    return heads.index(header)


def test_rows_sort_filter_and_screenshot(page: tuple[Path, Path], browser: object,
                                         tmp_path: Path) -> None:
    from harness.results import ResultStore

    store, html = page
    driver = browser
    driver.get(html.as_uri())  # type: ignore[attr-defined]
    assert driver.title == "hilbench report"  # type: ignore[attr-defined]

    # the rows equal the store's latest row per (model, variant, target, kernels)
    expected = set()
    for r in keyed_rows(ResultStore(store).dataframe()).values():
        cycles = r["cycles_per_inference"]
        expected.add((str(r["model"]), str(r["variant"]), str(r["target"]), int(r["id"]),
                      None if pd.isna(cycles) else float(cycles)))
    cycles_col = _column(driver, "cycles_per_inference")
    shown = set()
    for row in _visible_rows(driver):
        cell = row.find_elements(By.TAG_NAME, "td")[cycles_col]  # type: ignore[attr-defined]
        value = cell.get_attribute("data-v")
        shown.add((row.get_attribute("data-model"), row.get_attribute("data-variant"),  # type: ignore[attr-defined]
                   row.get_attribute("data-target"), int(row.get_attribute("data-id")),  # type: ignore[attr-defined]
                   float(value) if value else None))
    assert shown == expected and len(shown) == 14

    # every number carries its provenance (a tag and a tooltip); modelled ones are marked
    numbers = driver.find_elements(By.CSS_SELECTOR, "#summary td[data-prov]")  # type: ignore[attr-defined]
    assert numbers and all(c.get_attribute("title") and c.find_elements(By.CLASS_NAME, "prov")
                           for c in numbers)
    modelled = driver.find_elements(By.CSS_SELECTOR, "td[data-prov=iss-cycle-model] .modelled")  # type: ignore[attr-defined]
    assert len(modelled) >= 7

    # sort by cycles: ascending with the rows without cycles last, then descending
    header = driver.find_elements(By.CSS_SELECTOR, "#summary thead th")[cycles_col]  # type: ignore[attr-defined]
    header.click()
    values = [r.find_elements(By.TAG_NAME, "td")[cycles_col].get_attribute("data-v")
              for r in _visible_rows(driver)]
    numbers_first = [float(v) for v in values if v]
    assert numbers_first == sorted(numbers_first) and values[len(numbers_first):] == [""] * (
        len(values) - len(numbers_first)) and len(numbers_first) == 7
    header.click()
    values = [r.find_elements(By.TAG_NAME, "td")[cycles_col].get_attribute("data-v")
              for r in _visible_rows(driver)]
    assert [float(v) for v in values if v] == sorted(numbers_first, reverse=True)

    # filter by target, then also by model
    Select(driver.find_element(By.ID, "filter-target")).select_by_value("cortex-m4-iss")  # type: ignore[attr-defined]
    rows = _visible_rows(driver)
    assert {r.get_attribute("data-target") for r in rows} == {"cortex-m4-iss"} and len(rows) == 7
    Select(driver.find_element(By.ID, "filter-model")).select_by_value("digits")  # type: ignore[attr-defined]
    rows = _visible_rows(driver)
    assert sorted(r.get_attribute("data-variant") for r in rows) == ["fp32", "int8", "int8-pruned"]
    assert driver.find_element(By.ID, "shown").text == "3"  # type: ignore[attr-defined]

    # figures load from data URIs; nothing was fetched over a network
    images = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.images).map(i => [i.src.slice(0, 22), i.naturalWidth])")
    assert len(images) >= 4 and all(src == "data:image/png;base64," and w > 100 for src, w in images)
    fetched = driver.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(name.startswith("data:") for name in fetched), fetched
    assert "improvement" in driver.find_element(By.ID, "gate-verdict").text  # type: ignore[attr-defined]
    assert driver.find_elements(By.ID, f"run-{RUNS[0]}") and driver.find_elements(By.ID, f"run-{RUNS[1]}")  # type: ignore[attr-defined]

    # a screenshot that is not blank
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 500 and pixels.std() > 10.0 and (pixels < 128).mean() > 0.005
