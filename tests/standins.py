"""Tiny stand-ins for the paper's data, written by the tests in the real on-disk formats: CIFAR-10 as torchvision's
``cifar-10-batches-py`` pickles, ImageNet / COCO as an ImageFolder of JPEGs, ResNet weights as state dicts."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from PIL import Image

CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _class_images(n: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, size, size, 3) uint8 images whose class (0..9) sets the colour of a square, and the labels."""
    labels = np.arange(n) % 10
    images = rng.integers(0, 80, (n, size, size, 3), dtype=np.uint8)
    colors = np.stack([(labels * 25) % 256, 255 - labels * 20, (labels * 70) % 256], axis=1).astype(np.uint8)
    quarter = size // 4
    images[:, quarter : 3 * quarter, quarter : 3 * quarter] = colors[:, None, None]
    return images, labels


def write_cifar10(root: Path, n_train: int = 100, n_test: int = 50, seed: int = 0) -> Path:
    """``root/cifar-10-batches-py`` as torchvision reads it: five train batches, a test batch and the meta file.
    torchvision also checks each file's MD5 against the real data's: ``trust_standins`` lifts that check."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per_batch = -(-n_train // 5)
    for name, n in [*((f"data_batch_{k}", per_batch) for k in range(1, 6)), ("test_batch", n_test)]:
        images, labels = _class_images(n, 32, rng)
        entry = {"data": images.transpose(0, 3, 1, 2).reshape(n, -1), "labels": labels.tolist()}
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": list(CIFAR_CLASSES)}))
    return root


def trust_standins(monkeypatch) -> None:
    """Let torchvision open the stand-in CIFAR-10 (its MD5 check knows only the real files)."""
    from torchvision.datasets import cifar

    monkeypatch.setattr(cifar, "check_integrity", lambda *args, **kwargs: True)


def write_image_folder(
    root: Path, classes: tuple[str, ...] = ("n01", "n02", "n03"), per_class: int = 12, size: int = 48, seed: int = 0
) -> Path:
    """``root/train/<class>/*.jpg`` and ``root/val/<class>/*.jpg`` (a quarter as many), ImageNet's layout."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", per_class), ("val", max(2, per_class // 4))):
        for label, name in enumerate(classes):
            (root / split / name).mkdir(parents=True, exist_ok=True)
            images, _ = _class_images(n, size, rng)
            for i, pixels in enumerate(images):
                tinted = (pixels.astype(np.int32) + 60 * label).clip(0, 255).astype(np.uint8)
                Image.fromarray(tinted[:, : size - 4 * (i % 3)]).save(root / split / name / f"{i}.jpg", quality=90)
    return root


def write_resnet_weights(path: Path, width: int = 8, wrapped: bool = True) -> Path:
    """A torchvision-layout ResNet-50 whose every width is ``width / 64`` of the real one (64: the real one),
    random, saved as the SimCLR converter does (under ``state_dict``) or as torchvision does (``wrapped=False``)."""
    from torchvision.models.resnet import Bottleneck, ResNet

    class Narrow(ResNet):  # torchvision's ResNet-50 with the stem and every stage ``width / 64`` as wide
        def __init__(self) -> None:
            torch.nn.Module.__init__(self)
            self._norm_layer, self.inplanes, self.dilation, self.groups, self.base_width = (
                torch.nn.BatchNorm2d, width, 1, 1, 64
            )  # fmt: skip
            self.conv1 = torch.nn.Conv2d(3, width, 7, 2, 3, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(width)
            self.layer1 = self._make_layer(Bottleneck, width, 3)
            self.layer2 = self._make_layer(Bottleneck, 2 * width, 4, stride=2)
            self.layer3 = self._make_layer(Bottleneck, 4 * width, 6, stride=2)
            self.layer4 = self._make_layer(Bottleneck, 8 * width, 3, stride=2)
            self.fc = torch.nn.Linear(8 * width * Bottleneck.expansion, 1000)

    torch.manual_seed(0)
    state = Narrow().state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state} if wrapped else state, path)
    return path


# One value of every key a paper preset sweeps (its methods, floors and variants stay): what the paper-preset test
# and benchmarks/gpu_check.py run of each preset, the first shrinking the sizes too.
PAPER_PINS = {
    "randbit": {"data.n_bits": "5", "loss.temperature": "0.2", "optim.batch_size": "1024"},
    "randbit_methods": {"data.n_bits": "5"},
    "generalized_losses": {"model.head_depth": "2"},
    "batch_size": {"model.head_depth": "2", "optim.batch_size": "512"},
    "color_distortion": {"augment.color_strength": "0.5"},
    "multidigit_count": {"data.n_digits": "2", "data.placement": "random"},
    "multidigit_size": {"data.large_size": "40", "loss.temperature": "0.2"},
    "digit_on_image": {"data.n_unique": "10"},
    "kmeans_features": {},
}
