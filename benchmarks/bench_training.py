"""One SimCLR training step on this machine: our batched augmentation vs a per-sample torchvision pipeline.

Reports images/s of a full step (two views, encoder, head, NT-Xent, backward, Adam) for the quick presets'
encoders, batch sizes and augmentations, with (a) the batched on-device augmentation of ``training.augment``
and (b) the same augmentation in torchvision ``v2`` (crop, then brightness and contrast jitter with p=0.8,
the only colour operations that act on one channel) applied per sample through a DataLoader (2 workers),
and the share of the step spent outside the model's forward + backward.

    python benchmarks/bench_training.py [--data-root DIR] [--steps 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from losses import build_loss  # noqa: E402
from training.augment import AugmentConfig, augment  # noqa: E402
from training.encoders import build_encoder  # noqa: E402
from training.heads import projection_head  # noqa: E402


class PerSampleViews(Dataset):
    def __init__(self, images: torch.Tensor, transform) -> None:
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int):
        return self.transform(self.images[i]), self.transform(self.images[i])


def per_sample_pipeline(config: AugmentConfig, size: int) -> v2.Compose:
    """torchvision's per-image equivalent of ``training.augment`` for one-channel images."""
    steps = [v2.RandomResizedCrop(size, scale=(config.crop_min_scale, 1.0), antialias=True)]
    if config.color_strength > 0:
        spread = 0.8 * config.color_strength
        steps.append(v2.RandomApply([v2.ColorJitter(brightness=spread, contrast=spread)], p=0.8))
    return v2.Compose(steps)


def bench(
    name: str, encoder: torch.nn.Module, images: torch.Tensor, batch: int, steps: int, config: AugmentConfig
) -> None:
    head = projection_head(encoder.feature_dim, 2, 256, 64)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, 1e-3)
    loss_fn = build_loss("nt_xent", temperature=0.1)

    def model_step(v1: torch.Tensor, v2_: torch.Tensor) -> float:
        start = time.perf_counter()
        loss = loss_fn(head(encoder(v1)), head(encoder(v2_))).total
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    generator = torch.Generator().manual_seed(0)
    model_time, start = 0.0, time.perf_counter()
    for s in range(steps):
        x = images[(s * batch) % (len(images) - batch) :][:batch]
        model_time += model_step(augment(x, config, generator), augment(x, config, generator))
    batched = time.perf_counter() - start
    pipeline = per_sample_pipeline(config, images.shape[-1])
    loader = DataLoader(
        PerSampleViews(images, pipeline),
        batch_size=batch,
        num_workers=2,
        shuffle=True,
        drop_last=True,
    )
    start, model_time_loader = time.perf_counter(), 0.0
    for done, (v1, v2_) in enumerate(loader, 1):
        model_time_loader += model_step(v1, v2_)
        if done == steps:
            break
    looped = time.perf_counter() - start
    print(
        f"{name}\n  SimCLR step: batched {steps * batch / batched:7.0f} img/s (outside model "
        f"{1 - model_time / batched:5.1%}) | per-sample DataLoader {steps * batch / looped:7.0f} img/s (outside "
        f"model {1 - model_time_loader / looped:5.1%}) | speed-up {looped / batched:4.1f}x"
    )
    augmentation_only(images[:batch], config, pipeline, generator)


def augmentation_only(
    images: torch.Tensor, config: AugmentConfig, pipeline: v2.Compose, generator: torch.Generator
) -> None:
    """Augmentation alone, in this process: one batched call vs a Python loop of the per-image pipeline."""
    start = time.perf_counter()
    augment(images, config, generator)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    torch.stack([pipeline(image) for image in images])
    looped = time.perf_counter() - start
    n = images.shape[0]
    print(
        f"  augmentation alone: batched {n / batched:8.0f} img/s | per-image loop {n / looped:8.0f} img/s | "
        f"speed-up {looped / batched:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    from datasets import load_mnist, make_two_digit_sizes

    digits, _ = load_mnist(args.data_root)
    torch.manual_seed(0)
    bench(
        "randbit quick: ConvN, 28 px, batch 512",
        build_encoder("convn", 1, 28),
        digits.images[:8192],
        512,
        args.steps,
        AugmentConfig(crop_min_scale=0.5, flip=False, color_strength=0.0),
    )
    canvases = make_two_digit_sizes(digits, 2048, 28, 56, canvas_size=84).images
    bench(
        "multidigit_size quick: ResNet-18 w8, 84 px, batch 128",
        build_encoder("resnet18", 1, 84, width=8, stem_stride=2),
        canvases,
        128,
        args.steps,
        AugmentConfig(crop_min_scale=0.5, flip=False, color_strength=0.5),
    )


if __name__ == "__main__":
    main()
