"""Generators: shapes, ranges, determinism, placement rules, labels that match the pasted pixels."""

from __future__ import annotations

import pytest
import torch

from datasets import (
    InvalidParameterError,
    LabelledImages,
    load_natural_images,
    make_digit_on_image,
    make_multidigit,
    make_randbit,
    make_single_digit,
    make_two_digit_sizes,
)
from datasets.compose import resize_digits
from datasets.digit_on_image import copy_corners
from training.augment import AugmentConfig, augment, resized_crop_flip


def _check_images(images: torch.Tensor, shape: tuple[int, ...]) -> None:
    assert images.shape == shape and images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1


@pytest.mark.parametrize("placement", ["random", "in_grid"])
def test_multidigit_shapes_labels_and_determinism(mnist, placement):
    train, _ = mnist
    data = make_multidigit(train, 50, 5, canvas_size=112, digit_size=28, placement=placement, seed=3)
    _check_images(data.images, (50, 1, 112, 112))
    assert data.targets["digits"].shape == (50, 5)
    assert torch.equal(data.targets["digits"], train.labels[data.targets["source_index"]])
    assert torch.all(
        data.targets["presence"].sum(1) == torch.tensor([len(set(r)) for r in data.targets["digits"].tolist()])
    )
    same = make_multidigit(train, 50, 5, placement=placement, seed=3)
    other = make_multidigit(train, 50, 5, placement=placement, seed=4)
    assert torch.equal(data.images, same.images) and not torch.equal(data.images, other.images)


def _box_occupancy(boxes: torch.Tensor, canvas: int) -> torch.Tensor:
    """(N, canvas, canvas) count of the (N, K, 4) (x0, y0, x1, y1) boxes covering each pixel."""
    occupancy = torch.zeros(boxes.shape[0], canvas, canvas)
    for i, image_boxes in enumerate(boxes.tolist()):
        for x0, y0, x1, y1 in image_boxes:
            occupancy[i, y0:y1, x0:x1] += 1
    return occupancy


def test_in_grid_digits_never_overlap_and_pasted_pixels_equal_the_mnist_digit(mnist):
    train, _ = mnist
    data = make_multidigit(train, 40, 16, placement="in_grid", seed=0)
    boxes = data.targets["boxes"]
    for i in range(40):
        for k in range(16):
            x0, y0, x1, y1 = boxes[i, k].tolist()
            digit = train.images[data.targets["source_index"][i, k], 0]
            assert torch.equal(data.images[i, 0, y0:y1, x0:x1], digit)
    assert _box_occupancy(boxes, 112).max() == 1


def test_random_placement_may_overlap_and_composites_by_max(mnist):
    train, _ = mnist
    data = make_multidigit(train, 200, 16, placement="random", seed=0)
    boxes = data.targets["boxes"]
    assert _box_occupancy(boxes, 112).max() > 1
    # the canvas is the max of the pasted digits: never below any of them
    i, k = 0, 0
    x0, y0, x1, y1 = boxes[i, k].tolist()
    assert torch.all(data.images[i, 0, y0:y1, x0:x1] >= train.images[data.targets["source_index"][i, k], 0])


def test_two_digit_sizes_never_overlap_and_carry_both_labels(mnist):
    train, _ = mnist
    data = make_two_digit_sizes(train, 300, small_size=20, large_size=80, canvas_size=112, seed=1)
    _check_images(data.images, (300, 1, 112, 112))
    small, large = data.targets["boxes"][:, 0], data.targets["boxes"][:, 1]
    assert torch.all((small[:, 2] - small[:, 0]) == 20) and torch.all((large[:, 2] - large[:, 0]) == 80)
    separated_x = (small[:, 2] <= large[:, 0]) | (large[:, 2] <= small[:, 0])
    separated_y = (small[:, 3] <= large[:, 1]) | (large[:, 3] <= small[:, 1])
    assert torch.all(separated_x | separated_y)
    assert torch.all(data.targets["boxes"] >= 0) and torch.all(data.targets["boxes"] <= 112)
    assert torch.equal(make_two_digit_sizes(train, 300, 20, 80, seed=1).images, data.images)


def test_single_digit_eval_set_pastes_the_labelled_digit(mnist):
    _, test = mnist
    data = make_single_digit(test, digit_size=28, canvas_size=56, n_images=None)
    assert len(data) == len(test) and torch.equal(data.targets["digit"], test.labels)
    rows = data.images[:20, 0]
    assert torch.allclose(rows.sum((1, 2)), test.images[:20, 0].sum((1, 2)))


def test_digit_on_image_uses_exactly_n_unique_digits_and_keeps_a_copy_after_half_crops(mnist):
    train, _ = mnist
    photos = load_natural_images("photos", True, 224, photos_per_class=30, seed=0)
    data = make_digit_on_image(photos, train, n_unique=7, seed=0)
    _check_images(data.images, (300, 3, 224, 224))
    assert set(data.targets["digit_index"].tolist()) == set(range(7))
    assert torch.equal(data.targets["digit"], train.labels[data.targets["digit_index"]])
    # the composite is the max of image and digit: where the digit is bright the canvas equals it
    corners = copy_corners(224, 28)
    digit = train.images[data.targets["digit_index"][0], 0]
    y, x = corners[4].tolist()
    assert torch.all(data.images[0, :, y : y + 28, x : x + 28] >= digit)
    # every crop of half the area (any aspect ratio in [3/4, 4/3]) contains a whole copy
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        ratio = torch.empty(1).uniform_(3 / 4, 4 / 3, generator=generator).item()
        w = min(224, round((0.5 * 224 * 224 * ratio) ** 0.5))
        h = min(224, round(0.5 * 224 * 224 / w))
        x0 = torch.randint(0, 224 - w + 1, (1,), generator=generator).item()
        y0 = torch.randint(0, 224 - h + 1, (1,), generator=generator).item()
        inside = [(cy >= y0 and cy + 28 <= y0 + h and cx >= x0 and cx + 28 <= x0 + w) for cy, cx in corners.tolist()]
        assert any(inside)
    none = make_digit_on_image(photos, train, n_unique=0)
    assert torch.equal(none.images, photos.images) and torch.all(none.targets["digit"] == -1)


def test_randbit_bits_are_fixed_per_image_and_untouched_by_augmentation(mnist):
    train, _ = mnist
    base = LabelledImages(train.images[:64], {"label": train.labels[:64]}, train.source)
    data = make_randbit(base, n_bits=12, seed=0)
    assert data.integers.min() >= 0 and data.integers.max() < 2**12
    index = torch.arange(64)
    views = [
        data.with_bits(augment(data.images, AugmentConfig(), torch.Generator().manual_seed(s)), index) for s in (1, 2)
    ]
    assert views[0].shape == (64, 13, 28, 28)
    assert torch.equal(views[0][:, 1:], views[1][:, 1:])  # bits identical across the two views
    assert not torch.equal(views[0][:, :1], views[1][:, :1])  # the image channel was augmented
    decoded = (views[0][:, 1:, 0, 0].long() << torch.arange(12)).sum(1)
    assert torch.equal(decoded, data.integers)
    assert torch.equal(make_randbit(base, 12, seed=0).integers, data.integers)
    hashed = make_randbit(base, 12, bits="hash")
    assert torch.equal(hashed.integers, make_randbit(base, 12, bits="hash", seed=99).integers)


def test_vectorized_crop_matches_a_crop_and_resize_reference():
    images = torch.rand(4, 1, 16, 16)
    identity = resized_crop_flip(images, (1.0, 1.0), (1.0, 1.0), flip=False)
    assert torch.allclose(identity, images, atol=1e-5)
    flipped = resized_crop_flip(images, (1.0, 1.0), (1.0, 1.0), flip=True, generator=torch.Generator().manual_seed(0))
    for view, image in zip(flipped, images):
        assert torch.allclose(view, image, atol=1e-5) or torch.allclose(view, image.flip(-1), atol=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda tr: make_multidigit(tr, 4, 17, placement="in_grid"), "n_digits=17 is not allowed"),
        (lambda tr: make_multidigit(tr, 4, 2, canvas_size=20, digit_size=28), "digit_size=28 is not allowed"),
        (lambda tr: make_multidigit(tr, 4, 2, placement="spiral"), "placement='spiral' is not allowed"),
        (lambda tr: make_two_digit_sizes(tr, 4, 40, 80), "does not fit"),
        (
            lambda tr: make_digit_on_image(load_natural_images("photos", True, 64, photos_per_class=1), tr, 10**6),
            "n_unique=1000000 is not allowed",
        ),
        (lambda tr: make_randbit(LabelledImages(tr.images[:2], {}, "x"), 64), "n_bits=64 is not allowed"),
        (lambda tr: make_randbit(LabelledImages(tr.images[:2], {}, "x"), -1), "n_bits=-1 is not allowed"),
    ],
)
def test_invalid_parameters_fail_with_one_clear_error(mnist, call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call(mnist[0])


def test_resize_keeps_range():
    digits = torch.rand(3, 28, 28)
    resized = resize_digits(digits, 80)
    assert resized.shape == (3, 80, 80) and resized.min() >= 0 and resized.max() <= 1
