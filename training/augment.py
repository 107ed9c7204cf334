"""SimCLR augmentations applied to a whole batch at once, each sample with its own random parameters.

All parameters are drawn as tensors on the images' device and applied with batched ops (one
``grid_sample`` for crop + flip, broadcast arithmetic for colour, one grouped convolution for blur): there
is no per-image Python loop. Images (B, C, H, W) in [0, 1]; C = 3 gets full colour distortion, other
channel counts get brightness and contrast only. Only image channels are ever passed here: RandBit
planes are appended by the trainer afterwards.

* random resized crop: area fraction a ~ U(scale), log aspect r ~ U(log ratio); the crop has width
  sqrt(a r) and height sqrt(a / r) (fractions of the side, clipped to 1), a uniform position, and is
  resized back to (H, W) bilinearly; optional horizontal flip with p = 0.5.
* colour distortion of strength s, with p = 0.8: brightness, contrast, saturation factors ~ U(1 - 0.8 s,
  1 + 0.8 s) and hue rotation ~ U(-0.2 s, 0.2 s) turns (a rotation of the YIQ chroma plane), applied in this
  fixed order; then grayscale with p = 0.2.
* Gaussian blur (optional, ImageNet): p = 0.5, sigma ~ U(0.1, 2.0) pixels at 224 px scaled to the image
  size, kernel about 10% of the side.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from training.config import AugmentConfig

_GRAY = (0.299, 0.587, 0.114)
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


CROP_RATIO = (3 / 4, 4 / 3)


def _uniform(n: int, low: float, high: float, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, device=like.device, generator=generator) * (high - low) + low


def _torchvision_boxes(
    n: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    like: torch.Tensor,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, ...]:
    """RandomResizedCrop's draw: area and log aspect ratio uniform; boxes as (width, height, centre x, centre y)
    in grid_sample's normalized coordinates (sizes as fractions of the side)."""
    area = _uniform(n, *scale, like, generator)
    log_ratio = _uniform(n, math.log(ratio[0]), math.log(ratio[1]), like, generator)
    width = torch.sqrt(area * log_ratio.exp()).clamp(max=1.0)
    height = torch.sqrt(area / log_ratio.exp()).clamp(max=1.0)
    return (
        width,
        height,
        (1 - width) * _uniform(n, -1, 1, like, generator),
        (1 - height) * _uniform(n, -1, 1, like, generator),
    )


def _draws(k: int, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """k uniform draws from the device's generator, as float64 on the CPU (integer box arithmetic)."""
    return torch.rand(k, generator=generator, device=like.device).double().cpu()


def _tf_boxes(
    n: int,
    size: tuple[int, int],
    scale: tuple[float, float],
    ratio: tuple[float, float],
    like: torch.Tensor,
    generator: torch.Generator | None,
    attempts: int = 100,
) -> tuple[torch.Tensor, ...]:
    """TensorFlow's ``sample_distorted_bounding_box`` (whole-image box, so ``min_object_covered`` <= the
    smallest area always holds): aspect ratio uniform; an integer height uniform between the heights that give
    the smallest and the largest area at that ratio (capped so the width fits); width = round(height * ratio);
    a one-pixel correction when rounding leaves the area range; the offset uniform in [0, side - size) (TF's
    quirk: a crop smaller than the image never touches its bottom or right edge). An image whose ``attempts``
    draws all fail is used whole. Same box format as ``_torchvision_boxes``."""
    rows, cols = size
    min_area, max_area = scale[0] * rows * cols, scale[1] * rows * cols
    box = torch.tensor([rows, cols, 0, 0], dtype=torch.float64).repeat(n, 1)  # height, width, y, x: whole image
    pending = torch.ones(n, dtype=torch.bool)
    for _ in range(attempts):
        index = pending.nonzero().squeeze(1)
        if index.numel() == 0:
            break
        k = index.numel()
        aspect = _draws(k, like, generator) * (ratio[1] - ratio[0]) + ratio[0]
        low, high = torch.round((min_area / aspect).sqrt()), torch.round((max_area / aspect).sqrt())
        capped = torch.floor((cols + 0.5 - 1e-7) / aspect)
        capped = torch.where(torch.round(capped * aspect) > cols, capped - 1, capped)
        high = torch.where(torch.round(high * aspect) > cols, capped, high).clamp(max=rows)
        low = torch.minimum(low, high)
        height = low + torch.floor(_draws(k, like, generator) * (high - low + 1))
        width = torch.round(height * aspect)
        small = width * height < min_area
        height = torch.where(small, height + 1, height)
        width = torch.round(height * aspect)
        large = width * height > max_area
        height = torch.where(large, height - 1, height)
        width = torch.round(height * aspect)
        area = width * height
        ok = (area >= min_area) & (area <= max_area) & (width <= cols) & (height <= rows) & (width > 0) & (height > 0)
        y = torch.where(height < rows, torch.floor(_draws(k, like, generator) * (rows - height)), 0.0)
        x = torch.where(width < cols, torch.floor(_draws(k, like, generator) * (cols - width)), 0.0)
        box[index[ok]] = torch.stack([height, width, y, x], dim=1)[ok]
        pending[index[ok]] = False
    height, width, y, x = box.to(device=like.device, dtype=like.dtype).unbind(1)
    return width / cols, height / rows, (2 * x + width) / cols - 1, (2 * y + height) / rows - 1


def resized_crop_flip(
    images: torch.Tensor,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    flip: bool,
    generator: torch.Generator | None = None,
    sampler: str = "torchvision",
) -> torch.Tensor:
    """Random resized crop (and horizontal flip) of every image, output the same size as the input; boxes drawn
    as torchvision's RandomResizedCrop (``sampler="torchvision"``) or TensorFlow's (``"tf"``) does, then
    resampled bilinearly (half-pixel centres, as both libraries)."""
    n = images.shape[0]
    if sampler == "tf":
        width, height, center_x, center_y = _tf_boxes(n, tuple(images.shape[-2:]), scale, ratio, images, generator)
    else:
        width, height, center_x, center_y = _torchvision_boxes(n, scale, ratio, images, generator)
    sign = torch.ones(n, device=images.device)
    if flip:
        sign = torch.where(torch.rand(n, device=images.device, generator=generator) < 0.5, -sign, sign)
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0], theta[:, 0, 2] = width * sign, center_x
    theta[:, 1, 1], theta[:, 1, 2] = height, center_y
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _gray(images: torch.Tensor) -> torch.Tensor:
    if images.shape[1] != 3:
        return images.mean(dim=1, keepdim=True)
    weights = torch.tensor(_GRAY, device=images.device, dtype=images.dtype)[None, :, None, None]
    return (images * weights).sum(dim=1, keepdim=True)


def _blend(images: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """factor * images + (1 - factor) * other, clipped; factor (B,)."""
    factor = factor[:, None, None, None]
    return (factor * images + (1 - factor) * other).clamp_(0, 1)


def _rotate_hue(images: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    yiq_matrix = _RGB_TO_YIQ.to(images.device, images.dtype)
    yiq = torch.einsum("ij,bjhw->bihw", yiq_matrix, images)
    cos, sin = torch.cos(2 * math.pi * turns)[:, None, None], torch.sin(2 * math.pi * turns)[:, None, None]
    i, q = yiq[:, 1], yiq[:, 2]
    yiq = torch.stack([yiq[:, 0], cos * i - sin * q, sin * i + cos * q], dim=1)
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(yiq_matrix), yiq).clamp_(0, 1)


def color_distort(
    images: torch.Tensor,
    strength: float,
    prob: float = 0.8,
    gray_prob: float = 0.2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """SimCLR colour distortion of strength s on a batch (B, C, H, W)."""
    n, spread = images.shape[0], 0.8 * strength
    apply = (torch.rand(n, device=images.device, generator=generator) < prob).to(images.dtype)
    factor = lambda: 1 + apply * _uniform(n, -spread, spread, images, generator)  # noqa: E731
    images = (images * factor()[:, None, None, None]).clamp(0, 1)
    images = _blend(images, _gray(images).mean(dim=(2, 3), keepdim=True), factor())
    if images.shape[1] == 3:
        images = _blend(images, _gray(images), factor())
        images = _rotate_hue(images, apply * _uniform(n, -0.2 * strength, 0.2 * strength, images, generator))
    to_gray = torch.rand(n, device=images.device, generator=generator) < gray_prob
    return torch.where(to_gray[:, None, None, None], _gray(images).expand_as(images), images)


def gaussian_blur(images: torch.Tensor, prob: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-sample Gaussian blur (separable, one grouped convolution per axis)."""
    n, c, h, w = images.shape
    size = max(3, int(0.1 * min(h, w)) // 2 * 2 + 1)
    sigma = _uniform(n, 0.1, 2.0, images, generator) * min(h, w) / 224
    blurred = torch.rand(n, device=images.device, generator=generator) < prob
    sigma = torch.where(blurred, sigma, torch.full_like(sigma, 1e-3))  # sigma -> 0: identity kernel
    offsets = torch.arange(size, device=images.device, dtype=images.dtype) - size // 2
    kernel = torch.exp(-(offsets[None] ** 2) / (2 * sigma[:, None] ** 2))
    kernel = (kernel / kernel.sum(dim=1, keepdim=True)).repeat_interleave(c, dim=0)  # (n * c, size)
    x = images.reshape(1, n * c, h, w)
    x = F.conv2d(F.pad(x, (size // 2, size // 2, 0, 0), mode="reflect"), kernel[:, None, None, :], groups=n * c)
    x = F.conv2d(F.pad(x, (0, 0, size // 2, size // 2), mode="reflect"), kernel[:, None, :, None], groups=n * c)
    return x.reshape(n, c, h, w).clamp_(0, 1)


def augment(images: torch.Tensor, config: AugmentConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """One random view of every image in the batch (B, C, H, W) -> (B, C, H, W)."""
    views = resized_crop_flip(images, (config.crop_min_scale, 1.0), CROP_RATIO, config.flip, generator, config.crop)
    if config.color_strength > 0:
        views = color_distort(views, config.color_strength, config.color_prob, config.gray_prob, generator)
    if config.blur:
        views = gaussian_blur(views, generator=generator)
    return views
