"""Token dropping (issue 19): the host-side selection on hand-built maps, keep 1.0 reproducing
the full ViT exactly, the recipe checks, and a guide model that fails on the target: a clear
error and no row."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from harness.errors import RecipeError, RunError
from harness.tokendrop import keep_count, load_token_drop_recipe, saliency, tokens, top_k
from harness.zoo import build_model

REPO = Path(__file__).resolve().parent.parent


def test_top_k_on_a_hand_built_saliency_map() -> None:
    scores = np.zeros((2, 9))
    scores[0, [8, 0, 4]] = [3.0, 2.0, 1.0]        # three peaks
    scores[1, [1, 2, 7]] = 5.0                    # a three-way tie: lower positions win
    assert top_k(scores, 2).tolist() == [[0, 8], [1, 2]]      # kept, sorted ascending
    assert top_k(scores, 3).tolist() == [[0, 4, 8], [1, 2, 7]]
    assert top_k(scores, 9).tolist() == [list(range(9))] * 2
    with pytest.raises(ValueError):
        top_k(scores, 0)


def test_saliency_is_the_predicted_class_map() -> None:
    maps = np.zeros((1, 2, 2, 3), np.float32)
    maps[0, :, :, 1] = [[1.0, 0.0], [0.0, 0.0]]   # class 1 wins on the mean (0.25 vs 0.2)
    maps[0, :, :, 2] = [[0.0, 0.8], [0.0, 0.0]]
    assert saliency(maps).tolist() == [[1.0, 0.0, 0.0, 0.0]]
    assert top_k(saliency(maps), 1).tolist() == [[0]]


def test_keep_count_rounds_and_bounds() -> None:
    assert [keep_count(r, 49) for r in (1.0, 0.75, 0.5, 0.25, 0.01)] == [49, 37, 24, 12, 1]
    with pytest.raises(ValueError):
        keep_count(0.0, 49)


def test_keep_one_reproduces_the_full_model_exactly() -> None:
    torch.manual_seed(0)
    vit = build_model("tiny-vit", {"width": 16, "depth": 2, "heads": 2, "mlp": 32}).eval()
    images = np.random.default_rng(1).random((5, 28, 28, 1)).astype(np.float32)
    noise = np.random.default_rng(2).random((5, 49))          # any saliency: all are kept
    kept = tokens(images, top_k(noise, keep_count(1.0, 49)))
    with torch.no_grad():
        full = vit(torch.from_numpy(images))
        dropped = vit.forward_tokens(torch.from_numpy(kept))
    assert torch.equal(full, dropped)
    with torch.no_grad():                                     # fewer tokens: other outputs
        half = vit.forward_tokens(torch.from_numpy(kept[:, ::2]))
    assert not torch.equal(full, half)


def test_host_tokens_equal_the_models_own() -> None:
    vit = build_model("tiny-vit", {"width": 16, "depth": 1, "heads": 2, "mlp": 16})
    images = np.random.default_rng(3).random((2, 28, 28, 1)).astype(np.float32)
    pos = np.array([[0, 7, 48], [3, 4, 5]])
    want = vit.tokens(torch.from_numpy(images), torch.from_numpy(pos)).numpy()
    assert np.array_equal(tokens(images, pos), want)
    assert np.array_equal(tokens(images, pos)[0, 1, :16], images[0, 4:8, 0:4, 0].reshape(-1))


@pytest.mark.parametrize("old, new, message", [
    ("keep: 0.75", "keep: 0.75, ratio: 2",
     "ratio.*known keys here: keep, after_block, finetune_epochs"),
    ("keep: 0.25}", "keep: 1.5}", "keep"),
    ("confident_keep: 0.25", "confident_keep: 0.75", "confident_keep must be below keep"),
    ("after_block: 2", "after_block: 5", "after_block 5 is past the ViT's last block"),
    ("confident_keep: 0.25,", "confident_keep: 0.25, after_block: 1,",
     "drops at the input, in fp32"),
    ("precision: int8}", "precision: int4}", "precision")])
def test_recipe_errors_are_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = (REPO / "suites/vit/recipe.yaml").read_text()
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(RecipeError, match=message):
        load_token_drop_recipe(bad)


def test_adaptive_confidence_is_the_guides_softmax_maximum() -> None:
    from harness.tokendrop.select import confidence

    maps = np.zeros((2, 2, 2, 3))
    maps[0, :, :, 0] = 10.0                       # sure of class 0
    got = confidence(maps)
    assert got[0] > 0.99 and got[1] == pytest.approx(1 / 3)


def test_guide_failing_on_the_target_is_a_clear_error_and_no_row(tmp_path: Path) -> None:
    """A guide the target cannot run (here: a file that is no model) stops the variant with
    one error naming the guide; run_pipeline and the sweep make no measurement."""
    from harness.datasets import load_dataset
    from harness.evaluate import eval_set
    from harness.targets import load_target
    from harness.tokendrop.build import BuiltDrop
    from harness.tokendrop.run import run_pipeline

    broken = tmp_path / "guide.tflite"
    broken.write_bytes(b"\0" * 64)
    built = BuiltDrop("keep0.5", 0.5, 24, tmp_path / "vit.tflite", broken, 1, 1, 1, 1, 1,
                      [], "p", "g")
    ev = eval_set(load_dataset("digits"), 4)
    ev = type(ev)(ev.dataset, ev.split_name, type(ev.split)(
        np.zeros((4, 28, 28, 1), np.float32), ev.split.y), ev.full_size, ev.subset_seed)
    with pytest.raises(RunError, match=r"^guide model failed on host: .*guide\.tflite"):
        run_pipeline(built, load_target("host"), ev, lambda _m: None)


def test_figures_from_a_store(tmp_path: Path) -> None:
    """The token-drop figures (accuracy vs latency / MACs with the guide's bar segment, and the
    kept-patch panel) from rows shaped as the sweep records them."""
    pytest.importorskip("matplotlib")
    from harness.datasets import DATASETS
    from harness.measure import Measurement, Metric, RunContext
    from harness.report.tokendrop import token_drop_figures, token_drop_rows
    from harness.results import ResultStore

    if "fashion-mnist" not in DATASETS or not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    store = ResultStore(tmp_path / "r.sqlite")
    ctx = RunContext(run_id="a" * 32, time_utc="2026-01-01T00:00:00.000000+00:00", host="lab",
                     git_commit="1" * 40, git_dirty=False, hilbench_version="0.1",
                     python="3.11")
    rng = np.random.default_rng(0)
    for keep, name, extra_params, acc in (
            (1.0, "keep1.0", {}, [0.85]), (0.5, "keep0.5", {}, [0.80, 0.70]),
            (0.5, "keep0.5-ft", {"finetune_epochs": 1}, [0.83]),
            (0.5, "keep0.5-after2", {"after_block": 2}, [0.82]),
            (0.5, "keep0.5-int8", {"precision": "int8"}, [0.79])):
        k = keep_count(keep, 49)
        positions = [sorted(rng.choice(49, k, replace=False).tolist()) for _ in range(6)]
        for seed, value in enumerate(acc):       # two training seeds of keep0.5
            m = Measurement("vit", name, "host", "host", "m", "s", 100, False, 3, 1e-6, metrics={
                "accuracy": Metric(value, "fraction", "dataset", "test"),
                "latency_ms": Metric(2.0 * keep + 0.3, "ms", "wall-clock")},
                extra={"keep_ratio": keep, "kept_tokens": k, "macs": 100 + 50 * k,
                       "vit_macs": 50 * k, "guide_macs": 100 if keep < 1 else 0,
                       "n_eval": 100, "eval_subset_seed": 0, "dataset": "fashion-mnist",
                       "train_seed": seed, "example_positions": positions, "techniques": [
                           {"name": "token-drop", "params": {"keep": keep, **extra_params}}]})
            store.record(m, ctx)
    df = store.dataframe()
    rows = token_drop_rows(df).set_index("variant")
    assert rows["family"].to_dict() == {"keep1.0": "", "keep0.5": "", "keep0.5-ft": "fine-tuned",
                                        "keep0.5-after2": "after block 2",
                                        "keep0.5-int8": "int8"}
    assert rows.loc["keep0.5", "accuracy"] == pytest.approx(0.75)     # mean of the two seeds
    assert rows.loc["keep0.5", "seeds"] == 2 and rows.loc["keep1.0", "seeds"] == 1
    written = token_drop_figures(df, tmp_path / "out")
    assert sorted(p.name for p in written) == ["kept_patches_vit.pdf", "kept_patches_vit.png",
                                               "tokendrop_vit.pdf", "tokendrop_vit.png"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_sweep_gives_no_measurement_when_the_guide_fails(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Through harness.sweep.sweep (what `hilbench sweep` records from): the guide's run on the
    target raising makes an item with the error and no measurement, so no row is written; the
    ViT is never run for it."""
    import harness.tokendrop.run as run
    from harness.sweep import sweep
    from harness.tokendrop.build import BuiltDrop

    guide = tmp_path / "vit-guide.tflite"
    guide.write_bytes(b"model")
    built = BuiltDrop("keep0.5", 0.5, 24, tmp_path / "vit.tflite", guide, 10, 5, 1, 1, 1, [],
                      "p", "g")
    monkeypatch.setattr(run, "build_drop_variants", lambda *a, **k: [built])
    monkeypatch.setattr(run, "load_dataset", lambda name, quick=False: __import__(
        "harness.datasets", fromlist=["load_dataset"]).load_dataset("digits"))

    def board(path: Path, target: object, **kwargs: object) -> None:
        raise RunError(f"the board's LiteRT could not run {Path(path).name}")

    monkeypatch.setattr(run, "bench_model", board)
    monkeypatch.setattr(run, "bench_accuracy", lambda *a, **k: pytest.fail("ViT ran"))
    (item,) = list(sweep(REPO / "suites/vit/recipe.yaml", ["host"], quick=True, subset=4))
    assert item.measurement is None
    assert item.error == ("keep0.5 on host: guide model failed on host: the board's LiteRT "
                          "could not run vit-guide.tflite")


def test_kept_first_orders_the_kept_tokens_first() -> None:
    from harness.tokendrop.select import kept_first

    kept = np.array([[1, 4], [0, 2]])
    assert kept_first(kept, 5).tolist() == [[1, 4, 0, 2, 3], [0, 2, 1, 3, 4]]
    assert kept_first(np.arange(5)[None], 5).tolist() == [[0, 1, 2, 3, 4]]


def test_dropping_after_the_last_block_with_keep_one_is_the_full_model() -> None:
    """after_block = depth with every token kept: the deployed module's outputs are the full
    ViT's, bit for bit (and after block 1 too: nothing is dropped); with 8 of 49 kept after
    block 1 they differ."""
    from harness.tokendrop.build import _Tokens
    from harness.tokendrop.select import kept_first

    torch.manual_seed(0)
    depth = 2
    vit = build_model("tiny-vit", {"width": 16, "depth": depth, "heads": 2, "mlp": 32}).eval()
    images = np.random.default_rng(4).random((3, 28, 28, 1)).astype(np.float32)
    every = tokens(images, np.broadcast_to(np.arange(49), (3, 49)).copy())
    with torch.no_grad():
        full = vit(torch.from_numpy(images))
        for after in (depth, 1):
            assert torch.equal(_Tokens(vit, after, 49)(torch.from_numpy(every)), full)
        kept = top_k(np.random.default_rng(5).random((3, 49)), 8)
        dropped = _Tokens(vit, 1, 8)(torch.from_numpy(tokens(images, kept_first(kept, 49))))
    assert not torch.equal(dropped, full)


def test_after_block_macs_lie_between_input_drop_and_no_drop(tmp_path: Path) -> None:
    """MACs of the converted models (litert-torch, as the recipe builds them) of a tiny
    2-block ViT: keeping 12 of 49 tokens at the input < after block 1 < no drop."""
    from harness.importers import load_model
    from harness.tokendrop.build import _Tokens
    from harness.variants.convert import to_tflite
    from harness.variants.stats import model_stats
    from harness.variants.technique import Stage

    torch.manual_seed(0)
    vit = build_model("tiny-vit", {"width": 8, "depth": 2, "heads": 1, "mlp": 16}).eval()

    def macs(name: str, after: int | None, n_in: int) -> int:
        path = to_tflite(Stage(_Tokens(vit, after, 12).eval()), torch.zeros(1, n_in, 65),
                         tmp_path / f"{name}.tflite", name)
        return model_stats(load_model(path), path).macs

    at_input, after1, full = macs("in", None, 12), macs("a1", 1, 49), macs("full", None, 49)
    assert at_input < after1 < full
    # after block 1 = the full model's embedding (49 tokens) and block 0 (50), then block 1 and
    # the head as the input drop (13): 2 after1 - full - at_input = the embeddings' difference
    assert 2 * after1 - full - at_input == (49 - 12) * 65 * 8


def test_the_recipes_ratios_precisions_and_seeds() -> None:
    recipe = load_token_drop_recipe(REPO / "suites/vit/recipe.yaml")
    assert [v.drop.keep for v in recipe.variants][:4] == [1.0, 0.75, 0.5, 0.25]
    drops = {v.name: v.drop for v in recipe.variants}
    assert drops["keep0.5-after2"].after_block == 2 and drops["keep0.5-int8"].precision == "int8"
    assert drops["keep0.5"].after_block is None and drops["keep0.5"].precision == "fp32"
    assert recipe.seeds == (0, 1, 2)
