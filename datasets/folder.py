"""An ImageFolder tree (ImageNet, Imagenette, COCO sorted into class folders) read lazily: listing a split reads
only file names, and images are decoded when a batch of them is asked for.

``FolderImages`` stands where a uint8 image tensor stands (``len``, ``shape``, ``dtype``, ``images[index]``),
so the trainer and the probes index it as they index an in-memory set; ``batches(order)`` streams the batches
of a known order through a ``torch.utils.data.DataLoader`` whose workers read, decode (Pillow, as ImageFolder
does) and resize (antialiased bilinear, to ``size x size``) while the device trains, so ImageNet at 224 px never has to
fit in memory. Decoded images are uint8 (B, 3, S, S); the trainer turns them into floats on the device.

Layout: ``<folder>/train`` and ``<folder>/val`` (or ``test``) with class subfolders, or class subfolders
directly (then every fifth image of the sorted list is a test image).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch

from datasets.validation import InvalidParameterError

DECODE_WORKERS_ENV = "CONTRASTIVE_DECODE_WORKERS"  # DataLoader workers that decode a folder (default: cores - 1)


@functools.lru_cache(maxsize=8)
def list_split(path: str, train: bool) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """(file paths, labels, class names) of one split of the folder at ``path``, without reading any image;
    a folder that does not exist, has no class subfolders or a split of fewer than two images is one
    ``InvalidParameterError`` naming ``data.images``."""
    from torchvision.datasets import ImageFolder

    folder, key = Path(path), f"data.images=folder:{path}"
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InvalidParameterError(f"{key}: image folder {path!r} {problem}")
    names = ("train",) if train else ("val", "test")
    split_dir = next((folder / name for name in names if (folder / name).is_dir()), None)
    try:
        listing = ImageFolder(str(split_dir or folder), loader=lambda file: file)
    except (FileNotFoundError, RuntimeError) as error:  # no class folders, or class folders without images
        raise InvalidParameterError(
            f"{key}: image folder {str(split_dir or folder)!r} holds no images in class subfolders "
            f"(expected <folder>/<class>/<image>.jpg, torchvision ImageFolder layout): {error}"
        ) from None
    samples = listing.samples
    if split_dir is None:  # no split folders: every fifth image is a test image
        samples = [sample for i, sample in enumerate(samples) if (i % 5 == 4) != train]
    if len(samples) < 2:
        raise InvalidParameterError(f"{key}: its {'train' if train else 'test'} split holds {len(samples)} image(s)")
    files, labels = zip(*samples, strict=True)
    return files, labels, tuple(listing.classes)


def decode(file: str, size: int, key: str = "data.images=folder") -> torch.Tensor:
    """One image file as RGB uint8 (3, size, size), decoded by Pillow (ImageFolder's own loader) and resized
    antialiased; an unreadable file is an ``InvalidParameterError`` naming it."""
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms.v2.functional import pil_to_tensor, resize

    try:
        with Image.open(file) as image:
            pixels = pil_to_tensor(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else type(error).__name__
        raise InvalidParameterError(f"{key}: {file} cannot be read as an image ({reason})") from None
    return resize(pixels, [size, size], antialias=True)


def check_readable(path: str, train: bool) -> None:
    """Decode the first image of each class of a split (before any run, so a folder of unreadable files is one
    line then; an unreadable file among the rest is named when its batch is decoded)."""
    files, labels, _ = list_split(path, train)
    firsts = {label: file for file, label in zip(reversed(files), reversed(labels), strict=True)}
    for file in sorted(firsts.values()):
        decode(file, 8, f"data.images=folder:{path}")


class _Decoded(torch.utils.data.Dataset):
    def __init__(self, files: tuple[str, ...], size: int, key: str) -> None:
        self.files, self.size, self.key = files, size, key

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return decode(self.files[i], self.size, self.key)


def decode_workers() -> int:
    """DataLoader workers for decoding: ``$CONTRASTIVE_DECODE_WORKERS``, else all cores but the trainer's one."""
    named = os.environ.get(DECODE_WORKERS_ENV)
    return int(named) if named else max(0, min(16, (os.cpu_count() or 1) - 1))


class FolderImages:
    """The images of one folder split at ``size`` px, decoded on demand: ``images[index]`` is (B, 3, S, S) uint8."""

    dtype = torch.uint8

    def __init__(self, files: tuple[str, ...], size: int, key: str = "data.images=folder") -> None:
        self.files, self.size, self.key = files, size, key  # key: the config value the files came from

    def __len__(self) -> int:
        return len(self.files)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.files), 3, self.size, self.size)

    def _files(self, index: torch.Tensor | slice) -> list[str]:
        rows = range(len(self.files))[index] if isinstance(index, slice) else index.reshape(-1).tolist()
        return [self.files[i] for i in rows]

    def take(self, index: torch.Tensor | slice) -> FolderImages:
        """The images at ``index``, still undecoded."""
        return FolderImages(tuple(self._files(index)), self.size, self.key)

    def __getitem__(self, index: torch.Tensor | slice) -> torch.Tensor:
        return torch.stack([decode(file, self.size, self.key) for file in self._files(index)])

    def batches(self, order: Iterable[torch.Tensor], workers: int | None = None) -> Iterator[torch.Tensor]:
        """The decoded batch of each index tensor of ``order``, in order, decoded ahead by DataLoader workers."""
        order = [batch.tolist() for batch in order]
        workers = decode_workers() if workers is None else workers
        loader = torch.utils.data.DataLoader(
            _Decoded(self.files, self.size, self.key),
            batch_sampler=order,
            num_workers=min(workers, len(order)),
            pin_memory=torch.cuda.is_available(),
            prefetch_factor=4 if workers else None,
            persistent_workers=False,
        )
        try:
            yield from loader
        except InvalidParameterError as error:  # from a worker it arrives with the worker's traceback: keep the line
            lines = str(error).strip().splitlines()
            if len(lines) == 1:
                raise
            raise InvalidParameterError(
                lines[-1].removeprefix(f"{InvalidParameterError.__module__}.").split(": ", 1)[-1]
            ) from None


def as_float(images: torch.Tensor | FolderImages) -> torch.Tensor:
    """Float images in [0, 1]: uint8 pixels (or a folder, decoded whole) / 255; float images unchanged."""
    if isinstance(images, FolderImages):
        images = images[:]
    return images if images.is_floating_point() else images.to(torch.float32).div_(255.0)


def select(images: torch.Tensor | FolderImages, index: torch.Tensor) -> torch.Tensor | FolderImages:
    """``images[index]``, a folder's left undecoded."""
    return images.take(index) if isinstance(images, FolderImages) else images[index]
