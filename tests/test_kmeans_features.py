"""kmeans_features: block feature maps, encoder files, k-means and mask scores, masked images, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision
from torch import nn

import run_experiment
from analysis.kmeans import border_pixels, cluster_maps, interior, mask_scores, object_iou, upsample
from analysis.kmeans_features import PIXELS, claim_check, scores
from datasets import InvalidParameterError
from datasets.masked_objects import make_masked_objects, match_statistics, silhouettes
from datasets.sources import ImageSplit
from experiments.kmeans_features import (
    MULTIDIGIT,
    MULTIDIGIT_ENCODER_IDS,
    MULTIDIGIT_ENCODER_RUNS,
    KMeansRun,
)
from experiments.registry import EXPERIMENTS
from experiments.runs.kmeans_features import _masked
from sweeps.config import compose, run_id
from sweeps.grid import build_grid, parse_overrides
from training.encoder_files import (
    EncoderWeightsError,
    load_encoder_file,
    load_weights,
    save_encoder,
    torchvision_state_dict,
)
from training.encoders import ResNetEncoder
from training.features import block_feature_maps, pixel_maps


def _args(out, mnist_root, *extra: str) -> list[str]:
    args = ["kmeans_features", "--preset", "smoke", "--out", str(out), "--no-progress", "--device", "cpu", *extra]
    return args + (["--data-root", mnist_root] if mnist_root else [])


# ------------------------------------------------------------------------------------------- feature maps
def test_block_feature_maps_are_the_block_group_outputs():
    torch.manual_seed(0)
    encoder = ResNetEncoder("resnet18", 3, 8, "small", 2).eval()
    images = torch.rand(5, 3, 64, 64)
    maps = block_feature_maps(encoder, images, (2, 3, 4), torch.device("cpu"), batch_size=2)
    with torch.no_grad():
        stages = encoder.stages(images)
    for block in (2, 3, 4):
        torch.testing.assert_close(maps[block], stages[block - 1])
    assert [tuple(maps[b].shape[-2:]) for b in (2, 3, 4)] == [(16, 16), (8, 8), (4, 4)]
    pixels = pixel_maps(images, {4: (4, 4)})[4]
    torch.testing.assert_close(pixels[0, :, 0, 0], images[0, :, :16, :16].mean(dim=(1, 2)))
    with pytest.raises(InvalidParameterError, match="block 5 does not exist"):
        block_feature_maps(encoder, images, (5,), torch.device("cpu"))


# ------------------------------------------------------------------------------------------ encoder files
def _torchvision_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The test's own inverse renaming: suite keys -> torchvision keys, plus a classifier."""
    out = {}
    for key, value in state.items():
        key = key.replace("stem.0.", "conv1.").replace("stem.1.", "bn1.")
        if key.startswith("layers."):
            _, index, rest = key.split(".", 2)
            key = f"layer{int(index) + 1}.{rest}"
        out[key] = value
    return out | {"fc.weight": torch.zeros(10, 4), "fc.bias": torch.zeros(10)}


def test_a_torchvision_resnet_state_dict_loads_with_identical_features(tmp_path):
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(num_classes=10)
    with torch.no_grad():  # non-trivial BN statistics, so a wrong mapping shows
        for module in reference.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    encoder = load_encoder_file(tmp_path / "resnet18.pth")
    reference.fc = nn.Identity()
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(encoder(images), reference.eval()(images))


def test_a_converted_simclr_checkpoint_loads_at_its_width(tmp_path):
    """The converter's file: a wider ResNet-50 under "state_dict", written with DDP's "module." prefix."""
    torch.manual_seed(1)
    wide = ResNetEncoder("resnet50", 3, 16, "imagenet").eval()  # width 16 stands in for 64 * w
    converted = {f"module.{k}": v for k, v in _torchvision_names(wide.state_dict()).items()}
    torch.save({"state_dict": converted, "epoch": 100}, tmp_path / "resnet50-x.pth")
    encoder = load_weights(f"file:{tmp_path / 'resnet50-x.pth'}")
    assert encoder.feature_dim == wide.feature_dim == 16 * 8 * 4
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(encoder(images), wide(images))


def test_the_suite_encoder_file_round_trips(tmp_path):
    encoder = ResNetEncoder("resnet18", 1, 4, "small", 2).eval()
    save_encoder(encoder, "resnet18", "small", 2, tmp_path / "e.pt")
    loaded = load_encoder_file(tmp_path / "e.pt")
    images = torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(images), encoder(images))


def test_bad_weights_give_one_line_errors(tmp_path):
    state = _torchvision_names(ResNetEncoder("resnet18", 3, 8, "imagenet").state_dict())
    del state["layer2.0.conv1.weight"]
    state["layer9.extra"] = torch.zeros(1)
    torch.save(state, tmp_path / "mismatch.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a torch file")
    torch.save({"optimizer": {"lr": 1}}, tmp_path / "no_tensors.pth")
    torch.save({0: torch.zeros(1), 1: torch.zeros(1)}, tmp_path / "integer_keys.pth")
    save_encoder(ResNetEncoder("resnet18", 1, 4, "small", 2), "resnet18", "small", 2, tmp_path / "suite.pt")
    suite = torch.load(tmp_path / "suite.pt", weights_only=True)
    torch.save({k: v for k, v in suite.items() if k != "arch"}, tmp_path / "no_arch.pt")
    torch.save({**suite, "arch": "resnet99"}, tmp_path / "resnet99.pt")
    torch.save({**suite, "width": 8}, tmp_path / "wrong_width.pt")
    nan = {**suite["state_dict"], "stem.0.weight": torch.full_like(suite["state_dict"]["stem.0.weight"], float("nan"))}
    torch.save({**suite, "state_dict": nan}, tmp_path / "nan.pt")
    cases = {
        "missing.pth": "does not exist",
        ".": "is a folder; name the weights file inside it",
        "garbage.pth": "cannot be read as a PyTorch file",
        "mismatch.pth": "missing layers.1.0.conv1.weight; unexpected layers.8.extra",
        "no_tensors.pth": "holds no state dict of named tensors",
        "integer_keys.pth": "holds no state dict of named tensors",
        "no_arch.pt": "suite-format field 'arch' is missing; it must be resnet18 or resnet50",
        "resnet99.pt": "suite-format field 'arch' is str 'resnet99'; it must be resnet18 or resnet50",
        "wrong_width.pt": r"stem.0.weight has shape \(4, 1, 3, 3\), the encoder needs \(8, 1, 3, 3\)",
        "nan.pt": "non-finite weights",
    }
    for name, message in cases.items():
        with pytest.raises(EncoderWeightsError, match=message) as error:
            load_weights(f"file:{tmp_path / name}")
        assert "\n" not in str(error.value)
    with pytest.raises(EncoderWeightsError, match="torchvision weights 'NoSuch_Weights.X' are unknown"):
        torchvision_state_dict("NoSuch_Weights.X")


# ------------------------------------------------------------------------------------- k-means and scores
def test_mask_scores_against_hand_computed_cases():
    mask = torch.zeros(1, 8, 8, dtype=torch.bool)
    mask[0, 2:6, 2:6] = True
    exact = mask.long()
    assert mask_scores(exact, mask) == pytest.approx({"ari": 1.0, "iou": 1.0})
    assert mask_scores(1 - exact, mask) == pytest.approx({"ari": 1.0, "iou": 1.0})  # labels are arbitrary
    parts = exact.clone()
    parts[0, 2:4, 2:6] = 2  # the object split in two clusters: still the object, but not one group
    split = mask_scores(parts, mask)
    assert split["iou"] == 1.0 and split["ari"] < 1.0
    # a cluster covering the object and 16 background pixels is mostly object (16 of 32): not object
    blob = torch.zeros(1, 8, 8, dtype=torch.long)
    blob[0, 2:6, 0:8] = 1
    assert object_iou(blob[0].numpy(), mask[0].numpy()) == 0.0
    blob[0, 2:6, 1:7] = 1
    blob[0, 2:6, [0, 7]] = 0
    assert object_iou(blob[0].numpy(), mask[0].numpy()) == pytest.approx(16 / 24)  # 16 on, 24 in the union
    noise = torch.randint(0, 4, (20, 8, 8), generator=torch.Generator().manual_seed(0))
    assert abs(mask_scores(noise, mask.expand(20, -1, -1))["ari"]) < 0.05


def test_cluster_maps_find_two_separated_groups_and_upsample():
    features = torch.randn(3, 4, 6, 6, generator=torch.Generator().manual_seed(0)) * 0.01
    features[:, 0, :3] += 1.0  # top half points one way, bottom half another
    features[:, 1, 3:] += 1.0
    maps = cluster_maps(features, 2, seed=0)
    truth = torch.zeros(6, 6, dtype=torch.bool)
    truth[:3] = True
    for image in maps:
        assert mask_scores(image[None], truth[None])["ari"] == 1.0
    big = upsample(maps, 12)
    assert big.shape == (3, 12, 12) and torch.equal(big[:, ::2, ::2], maps)
    with pytest.raises(ValueError, match="k=1 must be >= 2"):
        cluster_maps(features, 1, seed=0)


def test_the_padding_ring_is_left_out_of_clustering_and_scoring():
    """A map whose outer ring of cells differs from everything inside (as zero padding makes it) and an object
    in the interior: with the ring, K = 2 spends a cluster on it and misses the object; without, it is exact."""
    features = torch.zeros(1, 2, 8, 8)
    features[:, 0] = 1.0
    features[:, 0, 3:5, 3:5], features[:, 1, 3:5, 3:5] = 0.8, 0.6  # the object: 2 x 2 cells, another direction
    features[:, 1, [0, -1], :] = features[:, 1, :, [0, -1]] = 5.0  # the padding ring: far from both
    mask = upsample(features[:, 1].gt(0.5).long() * features[:, 0].lt(1).long(), 64).bool()
    border = border_pixels(64, 8)
    assert border == 8
    with_ring = mask_scores(upsample(cluster_maps(features, 2, seed=0), 64), mask)
    inside = mask_scores(upsample(cluster_maps(interior(features, 64, border), 2, seed=0), 48), interior(mask, 64, 8))
    assert with_ring["iou"] == 0.0 and inside == pytest.approx({"ari": 1.0, "iou": 1.0})
    assert interior(torch.zeros(2, 16, 16), 64, border).shape == (2, 12, 12)  # 2 cells of a 16-cell map
    with pytest.raises(ValueError, match="not whole cells"):
        interior(torch.zeros(1, 6, 6), 64, border)


def test_multidigit_objects_are_scored_by_their_ink_not_their_boxes(mnist):
    config = compose(
        KMeansRun, {"data.objects": MULTIDIGIT, "data.canvas_size": 56, "data.object_size": 28, "data.n_masked": 4}
    )
    masked = _masked(config, MULTIDIGIT, None, mnist[1])
    ink = masked.images[:, 0] > 0.5
    assert torch.equal(masked.masks, ink) and 0.02 < masked.masks.float().mean() < 0.4


# ------------------------------------------------------------------------------------------ masked images
def test_masked_objects_are_seeded_and_the_mask_says_which_pixels_changed(mnist):
    generator = torch.Generator().manual_seed(0)
    colours = torch.rand(4, 3, 1, 1, generator=generator).expand(-1, -1, 32, 32).repeat(2, 1, 1, 1)
    backgrounds = ImageSplit(colours.clone(), torch.arange(8) % 4, "colours", tuple("abcd"))
    digits = mnist[1].images[:50]
    first, again = (make_masked_objects(backgrounds, digits, 10, 20, "texture", seed=3) for _ in range(2))
    assert torch.equal(first.images, again.images) and torch.equal(first.masks, again.masks)
    assert 0.05 < first.masks.float().mean() < 0.5
    for image, mask in zip(first.images, first.masks):
        background, inside = image[:, ~mask], image[:, mask]
        assert (background == background[:, :1]).all()  # one flat background colour outside the mask
        assert (inside == inside[:, :1]).all() and not torch.equal(inside[:, 0], background[:, 0])  # another inside
    matched = make_masked_objects(backgrounds, digits, 10, 20, "matched", seed=3)
    assert torch.equal(matched.masks, first.masks)  # the same shapes and places, only the fill differs
    texture = torch.rand(2, 3, 16, 16, generator=generator) * 0.5
    reference = torch.rand(2, 3, 16, 16, generator=generator) * 0.2 + 0.4
    moved = match_statistics(texture, reference)
    torch.testing.assert_close(moved.mean(dim=(2, 3)), reference.mean(dim=(2, 3)))
    torch.testing.assert_close(moved.std(dim=(2, 3)), reference.std(dim=(2, 3)))
    white = make_masked_objects(backgrounds, digits, 4, 20, "digit", seed=3)
    assert (white.images.permute(1, 0, 2, 3)[:, white.masks] == 1).all()
    assert silhouettes(digits[:2], 20).shape == (2, 20, 20)
    with pytest.raises(InvalidParameterError, match="object_size=40 must be in"):
        make_masked_objects(backgrounds, digits, 4, 40, "digit", seed=0)


# ----------------------------------------------------------------------------------- claim and the table
def _frame(
    iou: dict[str, dict[int, float]],
    matched_pixels: float = 0.2,
    texture_pixels: float = 0.2,
    probe: dict[str, float] | None = None,
    retrieval: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Runs scored on two sets, raw pixels at ``texture_pixels`` / ``matched_pixels``; ``probe`` /
    ``retrieval``: each method's digit-probe accuracy and view retrieval on held-out training canvases."""
    rows = []
    for method, by_block in iou.items():
        row = {"run_id": method, "kmeans.encoder": "trained", "kmeans.label": None, "method.name": method}
        row |= {"acc_linear": probe[method]} if probe else {}
        row |= {"view_retrieval": retrieval[method]} if retrieval else {}
        for objects, pixels in (("texture", texture_pixels), ("matched", matched_pixels)):
            for block, value in by_block.items():
                for k in (2, 4):
                    row |= {f"{objects}_iou_b{block}_k{k}": value, f"{objects}_ari_b{block}_k{k}": value / 2}
                    row |= {f"{objects}_pixels_iou_b{block}_k{k}": pixels, f"{objects}_pixels_ari_b{block}_k{k}": 0}
        rows.append(row)
    return pd.DataFrame(rows)


GOOD = {"simclr": {2: 0.3, 4: 0.5}, "supervised": {2: 0.3, 4: 0.52}, "random": {2: 0.2, 4: 0.25}}


def test_claim_verdicts_follow_the_numbers():
    good = _frame(GOOD)
    assert claim_check(good).verdict == "SUPPORTED"
    assert claim_check(_frame(GOOD, matched_pixels=0.6)).verdict == "NOT SUPPORTED"  # one set fails
    flat = _frame({"simclr": {2: 0.5, 4: 0.5}, "supervised": {2: 0.3, 4: 0.52}, "random": {2: 0.2, 4: 0.25}})
    assert claim_check(flat).verdict == "NOT SUPPORTED" and "does not rise" in claim_check(flat).summary
    # supervised no better than the untrained encoder: the score cannot see learned features at all
    nothing = _frame({"simclr": {2: 0.3, 4: 0.25}, "supervised": {2: 0.3, 4: 0.26}, "random": {2: 0.2, 4: 0.25}})
    assert claim_check(nothing).verdict == "INCONCLUSIVE"
    assert [g.name for g in claim_check(nothing).failed_gates] == [
        f"{objects}: supervised block-4 IoU - untrained encoder" for objects in ("texture", "matched")
    ]
    # raw pixels beat every encoder on texture (colour finds the object there): not the reference on that set
    colour_wins = _frame(GOOD, texture_pixels=0.7)
    assert (
        claim_check(colour_wins).verdict == "SUPPORTED"
        and "vs the untrained encoder" in claim_check(colour_wins).summary
    )
    # no untrained encoder in the grid (the file encoders of a preset alone): no gate, so no verdict
    alone = claim_check(_frame({"simclr": GOOD["simclr"], "supervised": GOOD["supervised"]}))
    assert alone.verdict == "INCONCLUSIVE" and "untrained encoder" in alone.summary
    table = scores(good)
    assert set(table["encoder"]) == {"simclr", "supervised", "random", PIXELS}
    assert set(table["objects"]) == {"texture", "matched"}
    assert table.query("objects == 'matched' and encoder == 'simclr' and block == 4")["iou"].tolist() == [0.5, 0.5]


def test_trained_encoders_must_beat_the_untrained_one_on_their_own_task():
    probe, retrieval = (
        {"simclr": 0.12, "supervised": 0.9, "random": 0.1},
        {"simclr": 0.6, "supervised": 0.2, "random": 0.3},
    )
    learned = claim_check(_frame(GOOD, probe=probe, retrieval=retrieval))
    assert learned.verdict == "SUPPORTED"  # SimCLR is judged on retrieval, not on the digit it never saw
    assert learned.numbers["digit probe simclr"] == 0.12 and learned.numbers["view retrieval supervised"] == 0.2
    unlearned = claim_check(_frame(GOOD, probe=probe, retrieval=retrieval | {"simclr": 0.31}))
    assert unlearned.verdict == "INCONCLUSIVE"
    assert [g.name for g in unlearned.failed_gates] == [
        "simclr view retrieval on held-out canvases - untrained encoder"
    ]
    no_digits = claim_check(_frame(GOOD, probe=probe | {"supervised": 0.11}, retrieval=retrieval))
    assert [g.name for g in no_digits.failed_gates] == [
        "supervised digit probe on held-out canvases - untrained encoder"
    ]


# ------------------------------------------------------------------------------- the experiment, end to end
def test_kept_encoders_feed_a_file_encoder_run(tmp_path, mnist_root, capsys):
    assert run_experiment.main(_args(tmp_path / "a", mnist_root, "--keep-encoders")) == 0
    runs = tmp_path / "a" / "kmeans_features" / "smoke" / "runs"
    kept = sorted(runs.glob("*.encoder.pt"))
    assert len(kept) == 2  # SimCLR and supervised; the untrained encoder has no checkpoint to keep
    maps = np.load(next(runs.glob("*/maps.npz")))
    # 48 px, stride-1 stem: 24 x 24 block-2 and 6 x 6 block-4 maps, scored and shown without the outer ring
    # of 8 px (one block-4 cell)
    assert maps["images"].shape == (6, 3, 48, 48) and maps["encoder_b4_k4"].shape == (6, 4, 4)
    assert int(maps["border"]) == 8 and maps["encoder_b2_k4"].shape == (6, 16, 16)
    assert run_experiment.main(_args(tmp_path / "b", mnist_root, "--set", f"kmeans.encoder=file:{kept[0]}")) == 0
    records = list((tmp_path / "b" / "kmeans_features" / "smoke" / "runs").glob("*.json"))
    assert len(records) == 1  # the three method variants are one run: a loaded encoder is not trained
    record = json.loads(records[0].read_text())
    assert record["history"] == [] and 0 <= record["metrics"]["texture_iou_b4_k4"] <= 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("kmeans.ks=1+2", "kmeans.ks='1+2' is not allowed; it must be distinct integers in [2, 64] joined by +"),
        ("kmeans.blocks=2+5", "kmeans.blocks='2+5' is not allowed; it must be distinct integers in [1, 4]"),
        ("kmeans.encoder=resnet", "kmeans.encoder='resnet' is not allowed; it must be one of trained, file:<...>"),
        ("kmeans.encoder=file:/no/such.pth", "kmeans.encoder=file:/no/such.pth: weights file '/no/such.pth' does not"),
        ("data.object_size=60", "data.object_size=60 must be <= data.canvas_size=48"),
        ("data.objects=texture+blobs", "data.objects='texture+blobs' is not allowed; it must be distinct names"),
    ],
)
def test_bad_kmeans_input_is_one_line_before_any_work(setting, message, tmp_path, mnist_root, capsys):
    assert run_experiment.main(_args(tmp_path, mnist_root, "--set", setting)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "kmeans_features").exists()


def test_the_multidigit_preset_reads_the_encoders_its_note_tells_how_to_keep():
    kept = build_grid(EXPERIMENTS["multidigit_count"], "quick", parse_overrides(list(MULTIDIGIT_ENCODER_RUNS)))
    ids = {run.config.method.name: run_id(run.config, "mnist-full", "multidigit_count") for run in kept}
    assert ids == {"simclr": MULTIDIGIT_ENCODER_IDS["SimCLR"], "supervised": MULTIDIGIT_ENCODER_IDS["supervised"]}
    variants = EXPERIMENTS["kmeans_features"].presets["multidigit"].variants
    read = [v["kmeans.encoder"] for v in variants if "kmeans.encoder" in v]
    assert read == [f"file:scratch/multidigit_count/quick/runs/{i}.encoder.pt" for i in MULTIDIGIT_ENCODER_IDS.values()]


def test_an_encoder_labelled_untrained_is_the_gates_reference():
    frame = _frame(GOOD).astype({"kmeans.label": object})
    frame.loc[frame["method.name"] == "random", "kmeans.label"] = "untrained ResNet-50"
    assert claim_check(frame).verdict == "SUPPORTED"
