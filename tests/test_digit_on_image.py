"""DigitOnImage: the per-load digit overlay, the image sources it reads (a tiny ImageFolder made here), the
checks that need the data, and the evaluation that reads two labels from one feature pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import run_experiment
from datasets import InvalidParameterError, load_natural_images
from datasets.digit_on_image import DigitOverlay, copy_corners
from experiments import digit_on_image
from experiments.runs import digit_on_image as digit_on_image_run
from sweeps.config import compose
from tests.standins import write_image_folder
from training.config import EvalConfig
from training.data import TrainImages
from training.evaluate import ProbeSet, evaluate


def _image_folder(root, classes=("cat", "dog"), per_class=5, size=40):
    rng = np.random.default_rng(0)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (size, size + 8, 3), dtype=np.uint8) // (label + 1)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_overlay_draws_a_fresh_pool_digit_per_load_and_repeats_with_the_generator(mnist):
    train_digits, _ = mnist
    images = torch.zeros(6, 3, 32, 32)
    overlay = DigitOverlay(train_digits, 3, 32, digit_size=8)
    data = TrainImages(images, on_load=overlay)
    index = torch.arange(6)
    first = data.load(index, torch.Generator().manual_seed(0))
    again = data.load(index, torch.Generator().manual_seed(0))
    generator = torch.Generator().manual_seed(0)
    draws = [data.load(index, generator) for _ in range(4)]
    assert torch.equal(first, again) and not all(torch.equal(draws[0], d) for d in draws[1:])
    pool = overlay.apply(torch.zeros(3, 3, 32, 32), torch.arange(3))
    for image in torch.cat(draws):  # every loaded image is one of the three pool digits' pattern
        assert any(torch.equal(image, p) for p in pool)
    y, x = copy_corners(32, 8)[4].tolist()  # the centre copy
    assert torch.equal(pool[1, 0, y : y + 8, x : x + 8], overlay.patches[1])
    assert torch.equal(images, torch.zeros(6, 3, 32, 32))  # the stored images are never changed


def test_image_folder_source_loads_resizes_and_splits(tmp_path):
    folder = _image_folder(tmp_path / "pets")
    train = load_natural_images(f"folder:{folder}", True, 16)
    test = load_natural_images(f"folder:{folder}", False, 16)
    assert train.images.shape == (8, 3, 16, 16) and test.images.shape == (2, 3, 16, 16)
    assert train.class_names == ("cat", "dog") and train.source == f"folder:{folder}"
    assert sorted(test.labels.tolist()) == [0, 1]


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "does not exist"),
        ("a_file", "is a file, not a folder"),
        ("empty", "holds no images in class subfolders"),
        ("no_images", "holds no images in class subfolders"),
        ("one_image", "its train split holds 1 image(s)"),
        ("corrupt", "0.png cannot be read as an image"),
    ],
)
def test_a_folder_without_images_is_one_line_error_before_any_run(layout, message, tmp_path, mnist_root, capsys):
    folder = tmp_path / "images"
    if layout == "a_file":
        folder.write_text("not a folder")
    elif layout in ("one_image", "corrupt"):
        _image_folder(folder, classes=("cat",), per_class=1 if layout == "one_image" else 5)
        if layout == "corrupt":
            (folder / "cat" / "0.png").write_bytes(b"\x89PNG truncated")
    elif layout != "missing":
        folder.mkdir()
    if layout == "no_images":
        (folder / "cat").mkdir()
    args = [
        "digit_on_image",
        "--preset",
        "smoke",
        "--out",
        str(tmp_path / "out"),
        "--set",
        f"data.images=folder:{folder}",
    ]
    assert run_experiment.main(args + (["--data-root", mnist_root] if mnist_root else [])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: data.images=folder:{folder}: ") and message in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_a_pool_larger_than_the_mnist_split_is_refused_naming_both(tmp_path):
    config = compose(digit_on_image.DigitOnImageRun, {"data.images": "photos", "data.n_unique": 5000})
    too_large = pytest.raises(InvalidParameterError, match="data.n_unique=5000 is larger than the digit pool")
    with pytest.warns(UserWarning, match="offline fallback"), too_large:  # an empty root: the shipped 4k digits
        digit_on_image_run.data_source(config, str(tmp_path))


def test_folder_images_run_end_to_end(tmp_path, mnist_root):
    folder = _image_folder(tmp_path / "pets", per_class=40, size=32)
    args = ["digit_on_image", "--preset", "smoke", "--out", str(tmp_path / "out"), "--no-progress"]
    args += ["--set", f"data.images=folder:{folder}", "data.n_train=0", "data.n_test=0", "optim.batch_size=32"]
    assert run_experiment.main(args + (["--data-root", mnist_root] if mnist_root else [])) == 0
    table = (tmp_path / "out" / "digit_on_image" / "smoke" / "results.csv").read_text()
    assert f"folder:{folder}+mnist" in table and "0.5" in table  # two object classes: chance 0.5


class _CountingEncoder(nn.Module):
    feature_dim = 4

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.linear = nn.Linear(3, 4)

    def forward(self, x):
        self.calls += 1
        return self.linear(x.mean(dim=(2, 3)))


def test_two_labels_of_one_probe_set_share_one_feature_pass():
    encoder = _CountingEncoder()
    images = torch.rand(40, 3, 8, 8)
    objects, digits = torch.arange(40) % 2, torch.arange(40) % 5
    probe = ProbeSet(TrainImages(images[:30]), TrainImages(images[30:]), {"object": (objects[:30], objects[30:])})
    probe.labels["digit"] = (digits[:30], digits[30:])
    metrics = evaluate(encoder, [probe], torch.device("cpu"), EvalConfig(probe_epochs=2), seed=0)
    assert set(metrics) == {"acc_object", "acc_digit"} and encoder.calls == 2  # one batch per split


def test_a_folder_smaller_than_the_batch_is_refused_before_any_run(tmp_path, mnist_root, capsys):
    folder = write_image_folder(tmp_path / "six", classes=("cat", "dog"), per_class=3)
    args = ["digit_on_image", "--preset", "smoke", "--out", str(tmp_path / "out"), "--device", "cpu"]
    root = ["--data-root", mnist_root] if mnist_root else []
    assert run_experiment.main([*args, *root, "--set", f"data.images=folder:{folder}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "optim.batch_size=64 must be <= the 6 training images the run has" in err and "\n" not in err
    assert not (tmp_path / "out").exists()
    sweep = ["--set", f"data.images=folder:{folder}", "optim.batch_size=4,8"]  # the second batch does not fit
    assert run_experiment.main([*args, *root, *sweep]) == 2
    assert "optim.batch_size=8 must be <= the 6 training images" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_an_out_folder_that_cannot_be_created_is_named_in_one_line(tmp_path, mnist_root, capsys):
    args = ["randbit", "--preset", "smoke", "--out", "/proc/no-results-here", "--device", "cpu"]
    assert run_experiment.main(args + (["--data-root", mnist_root] if mnist_root else [])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --out '/proc/no-results-here' cannot hold results: ") and "\n" not in err
