"""color_distortion: instance colours, colour histograms, the retrieval measure of the shortcut, and the claim check."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import run_experiment
from analysis.color_distortion import claim_check
from analysis.color_histograms import histograms, retrieval_accuracy
from datasets import ImageSplit, InvalidParameterError
from datasets.instance_colors import colorize, instance_colors
from training.augment import AugmentConfig, augment


def test_histograms_count_every_pixel_in_its_colour_cell():
    images = torch.zeros(2, 3, 4, 4)
    images[0, 0] = 1.0  # pure red: cell (7, 0, 0) with 8 bins
    images[1, :, :2] = 0.5  # half grey (4, 4, 4), half black (0, 0, 0)
    h = histograms(images, bins=8)
    assert h.shape == (2, 512) and torch.allclose(h.sum(dim=1), torch.ones(2))
    assert h[0, 7 * 64] == 1.0
    assert h[1, 0] == 0.5 and h[1, (4 * 8 + 4) * 8 + 4] == 0.5


def test_colour_distortion_hides_the_histogram_shortcut():
    g = torch.Generator().manual_seed(0)
    base = torch.rand(40, 3, 1, 1, generator=g)  # one colour per image, with texture noise
    images = (base + 0.1 * torch.rand(40, 3, 16, 16, generator=g)).clamp(0, 1)
    crop_only, distorted = AugmentConfig(color_strength=0.0), AugmentConfig(color_strength=1.0, color_prob=1.0)
    same = retrieval_accuracy(*(histograms(augment(images, crop_only, g)) for _ in range(2)))
    hidden = retrieval_accuracy(*(histograms(augment(images, distorted, g)) for _ in range(2)))
    assert same > 0.9 and hidden < same - 0.3


def _frame(acc: dict[float, float], retrieval: dict[float, float], floor: float | None = None) -> pd.DataFrame:
    """SimCLR at each strength; with ``floor``, an untrained-encoder and a raw-pixel run at that accuracy."""
    rows = [
        {"augment.color_strength": s, "augment.gray_prob": 0.2, "acc_linear": acc[s], "hist_retrieval": retrieval[s]}
        for s in acc
    ]
    for method in ("random", "pixels") if floor is not None else ():
        rows.append({"augment.color_strength": 0.0, "method.name": method, "acc_linear": floor, "hist_retrieval": 0.0})
    frame = pd.DataFrame(rows).assign(chance=0.1, hist_chance=0.002)
    return frame.fillna({"method.name": "simclr"}) if floor is not None else frame


@pytest.mark.parametrize(
    ("acc", "retrieval", "floor", "verdict"),
    [
        ({0.0: 0.4, 1.0: 0.6}, {0.0: 0.7, 1.0: 0.1}, 0.3, "SUPPORTED"),
        ({0.0: 0.6, 1.0: 0.6}, {0.0: 0.7, 1.0: 0.1}, 0.3, "NOT SUPPORTED"),
        # near the floors: nothing learned, so the same numbers cannot contradict the claim
        ({0.0: 0.6, 1.0: 0.6}, {0.0: 0.7, 1.0: 0.1}, 0.59, "INCONCLUSIVE"),
        # no shortcut to hide: colour retrieval near chance even without distortion
        ({0.0: 0.4, 1.0: 0.6}, {0.0: 0.05, 1.0: 0.01}, 0.3, "INCONCLUSIVE"),
    ],
)
def test_claim_needs_higher_accuracy_and_a_hidden_shortcut(acc, retrieval, floor, verdict):
    assert claim_check(_frame(acc, retrieval, floor)).verdict == verdict


def test_the_one_undistorted_run_is_the_strength_0_point_of_both_variants():
    frame = pd.concat([_frame({0.0: 0.4, 1.0: 0.6}, {0.0: 0.7, 1.0: 0.1}), _frame({1.0: 0.3}, {1.0: 0.2})])
    frame.iloc[-1, frame.columns.get_loc("augment.gray_prob")] = 0.0  # the jitter-only run at strength 1
    check = claim_check(frame)
    assert check.numbers["jitter only acc @ strength 0"] == check.numbers["jitter + grayscale acc @ strength 0"] == 0.4
    assert check.numbers["jitter only acc @ strength 1"] == 0.3 and check.supported is False


def _digits(n: int = 6) -> ImageSplit:
    ink = torch.zeros(n, 1, 8, 8)
    ink[:, :, 2:6, 3:5] = 1.0
    return ImageSplit(ink, torch.arange(n) % 3, "toy", ("a", "b", "c"))


def test_instance_colours_paint_ink_and_background_one_colour_pair_per_image():
    split = _digits()
    colored = colorize(split, seed=3)
    foreground, background = instance_colors(len(split), seed=3)
    assert colored.images.shape == (6, 3, 8, 8) and torch.equal(colored.labels, split.labels)
    assert torch.allclose(colored.images[:, :, 3, 3], foreground) and torch.allclose(
        colored.images[:, :, 0, 0], background
    )
    assert torch.equal(colorize(split, seed=3).images, colored.images)  # same seed, same bytes
    assert not torch.equal(colorize(split, seed=4).images, colored.images)
    with pytest.raises(InvalidParameterError, match=r"need grayscale images; toy\+instance-colors has 3 channels"):
        colorize(colored, seed=0)


def test_instance_colours_give_crops_a_histogram_that_finds_their_image():
    split = colorize(_digits(40), seed=0)
    g = torch.Generator().manual_seed(0)
    crop_only = AugmentConfig(color_strength=0.0, crop_min_scale=0.5)
    assert retrieval_accuracy(*(histograms(augment(split.images, crop_only, g)) for _ in range(2))) > 0.9


def test_instance_colours_on_a_source_with_its_own_colours_is_a_one_line_error(tmp_path, capsys):
    args = ["color_distortion", "--preset", "smoke", "--set", "data.images=photos", "--out", str(tmp_path)]
    assert run_experiment.main(args) == 2
    err = capsys.readouterr().err
    assert "data.instance_colors=true colours grayscale images; data.images=photos has its own colours" in err
    assert err.count("\n") == 1 and not any(tmp_path.iterdir())
