"""Labelled sample grids of every generator at its default (paper) settings, as PNG files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from datasets.digit_on_image import make_digit_on_image  # noqa: E402
from datasets.digits_on_photos import blend_on_photos  # noqa: E402
from datasets.instance_colors import colorize  # noqa: E402
from datasets.labelled import LabelledImages  # noqa: E402
from datasets.multidigit import make_multidigit  # noqa: E402
from datasets.multidigit_size import make_two_digit_sizes  # noqa: E402
from datasets.randbit import make_randbit  # noqa: E402
from datasets.sources import ImageSplit, load_mnist, load_natural_images  # noqa: E402

N_SHOWN = 8


def _multidigit(placement: str) -> Callable[[str | None], tuple[torch.Tensor, list[str], str]]:
    def build(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
        digits, _ = load_mnist(data_root)
        counts = (1, 2, 4, 6, 8, 10, 12, 16)
        images = torch.cat([make_multidigit(digits, 1, k, placement=placement, seed=k).images for k in counts])
        titles = [f"{k} digits" for k in counts]
        return images, titles, f"MultiDigits, {placement} placement (112 px, 28 px digits); {digits.source}"

    return build


def _multidigit_size(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    sizes = (20, 30, 40, 50, 60, 70, 80, 80)
    data = [make_two_digit_sizes(digits, 1, 20, s, seed=i) for i, s in enumerate(sizes)]
    titles = [f"small {d.targets['small_digit'][0]} | {s}px {d.targets['large_digit'][0]}" for d, s in zip(data, sizes)]
    return (
        torch.cat([d.images for d in data]),
        titles,
        f"Modified MultiDigits (20 px digit + 20..80 px); {digits.source}",
    )


def _digit_on_image(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    photos = load_natural_images("photos", True, 224, data_root, photos_per_class=1)
    data = make_digit_on_image(photos, digits, n_unique=1000)
    names = photos.class_names
    titles = [f"{names[o]} / {d}" for o, d in zip(data.targets["object"].tolist(), data.targets["digit"].tolist())]
    return data.images[:N_SHOWN], titles[:N_SHOWN], f"DigitOnImage (224 px, N=1000 digits); {data.source}"


def _digit_on_fashion(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    items = load_natural_images("fashion_mnist", True, 56, data_root)
    items = ImageSplit(items.images[:N_SHOWN], items.labels[:N_SHOWN], items.source, items.class_names)
    data = make_digit_on_image(items, digits, n_unique=60000, digit_size=14)
    names = items.class_names
    titles = [f"{names[o]} / {d}" for o, d in zip(data.targets["object"].tolist(), data.targets["digit"].tolist())]
    return data.images, titles, f"DigitOnImage on Fashion-MNIST (56 px, 14 px digits, N=60k); {data.source}"


def _instance_colors(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    first = ImageSplit(digits.images[:N_SHOWN], digits.labels[:N_SHOWN], digits.source, digits.class_names)
    colored = colorize(first, seed=0)
    titles = [f"digit {d}" for d in colored.labels.tolist()]
    return colored.images, titles, f"MNIST in instance colours (one colour pair per image); {colored.source}"


def _digits_on_photos(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    first = ImageSplit(digits.images[:N_SHOWN], digits.labels[:N_SHOWN], digits.source, digits.class_names)
    blended = blend_on_photos(first, train=True, seed=0)
    titles = [f"digit {d}" for d in blended.labels.tolist()]
    return blended.images, titles, f"MNIST-M-style digits (|photograph patch - digit|); {blended.source}"


def _randbit(data_root: str | None) -> tuple[torch.Tensor, list[str], str]:
    digits, _ = load_mnist(data_root)
    base = LabelledImages(digits.images[:N_SHOWN], {"digit": digits.labels[:N_SHOWN]}, digits.source)
    data = make_randbit(base, n_bits=10, seed=0)
    # Below each digit, one 2-row band per (constant) bit plane: light grey = 1, dark grey = 0.
    full = data.full()
    bands = (0.2 + 0.6 * full[:, 1:, :2, :]).reshape(len(full), 1, -1, 28)
    separator = torch.full((len(full), 1, 2, 28), 0.5)
    panels = torch.cat([full[:, :1], separator, bands], dim=2)
    titles = [f"digit {d} | u={u}" for d, u in zip(base.targets["digit"].tolist(), data.integers.tolist())]
    return panels, titles, f"RandBit, 10 bits (bands below each digit: bit planes, light = 1); {digits.source}"


PREVIEWS: dict[str, Callable[[str | None], tuple[torch.Tensor, list[str], str]]] = {
    "multidigit_random": _multidigit("random"),
    "multidigit_in_grid": _multidigit("in_grid"),
    "multidigit_size": _multidigit_size,
    "digit_on_image": _digit_on_image,
    "digit_on_fashion": _digit_on_fashion,
    "instance_colors": _instance_colors,
    "digits_on_photos": _digits_on_photos,
    "randbit": _randbit,
}


def save_grid(images: torch.Tensor, titles: list[str], suptitle: str, path: Path) -> None:
    """Draw (N, C, H, W) images in one row-major grid with a title each and save as PNG."""
    cols = 4
    rows = (len(images) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        shown = image.permute(1, 2, 0).cpu().numpy()
        ax.imshow(shown[..., 0] if shown.shape[-1] == 1 else shown, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_preview(name: str, path: Path, data_root: str | None = None) -> Path:
    """Build the preview of generator ``name`` and write it to ``path``."""
    images, titles, suptitle = PREVIEWS[name](data_root)
    save_grid(images, titles, suptitle, path)
    return path
