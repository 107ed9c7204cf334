"""Linear evaluation: frozen encoder, features extracted once per image set, a linear classifier per target.

``evaluate(encoder, probes, ...)`` takes ``ProbeSet``s: a train and a test image set with any number of
named label pairs (e.g. object and digit of the same images); each set's features are extracted once and
every label gets its own probe, reported as ``acc_<name>``. Features are standardized with the train
split's mean and std; a linear softmax classifier is trained with Adam (cosine schedule) on the train
features and its accuracy is reported on the test features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.augment import AugmentConfig, augment
from training.config import EvalConfig
from training.data import TrainImages
from training.device import as_input, autocast
from training.optim import lr_factor


@dataclass
class ProbeSet:
    """train / test images and ``labels``: name -> (train labels (N,), test labels (M,))."""

    train: TrainImages
    test: TrainImages
    labels: dict[str, tuple[torch.Tensor, torch.Tensor]]


@torch.no_grad()
def extract_features(
    encoder: nn.Module, data: TrainImages, device: torch.device, batch_size: int = 1024
) -> torch.Tensor:
    """(N, feature_dim) float32 features on the CPU; each batch loaded as floats on ``device`` (a folder's
    decoded ahead), its deterministic ``on_load`` and ``add_channels`` (bits) applied."""
    encoder.eval()
    data = TrainImages(data.images, data.add_channels, data.on_load, device)  # batches go to the device one by one
    order = [torch.arange(start, min(start + batch_size, len(data))) for start in range(0, len(data), batch_size)]
    chunks = []
    for index, images in zip(order, data.batches(order, None), strict=True):
        with autocast(device):
            chunks.append(encoder(as_input(data.finish(images, index.to(device)), device)).float().cpu())
    return torch.cat(chunks)


@torch.no_grad()
def view_retrieval(
    encoder: nn.Module, images: torch.Tensor, augment_config: AugmentConfig, device: torch.device, seed: int
) -> float:
    """Instance discrimination on held-out images, the contrastive methods' own task: two augmented views of
    each of the n images, and the fraction of the 2n views whose most cosine-similar other view (encoder
    features) is their partner. Chance is 1 / (2n - 1)."""
    generator = torch.Generator().manual_seed(seed)
    views = torch.cat([augment(images, augment_config, generator) for _ in range(2)])
    features = F.normalize(extract_features(encoder, TrainImages(views), device), dim=1)
    similarity = features @ features.T
    similarity.fill_diagonal_(-float("inf"))
    partners = torch.arange(len(views)).roll(len(images))
    return (similarity.argmax(dim=1) == partners).float().mean().item()


def linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    epochs: int = 40,
    lr: float = 1e-2,
    batch_size: int = 512,
    weight_decay: float = 1e-5,
    seed: int = 0,
) -> float:
    """Top-1 test accuracy of a linear classifier trained on frozen features (N, F) -> labels (N,)."""
    mean, std = train_features.mean(0), train_features.std(0).clamp_min(1e-6)
    x_train, x_test = (train_features - mean) / std, (test_features - mean) / std
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    generator = torch.Generator().manual_seed(seed)
    classifier = nn.Linear(x_train.shape[1], n_classes)
    nn.init.zeros_(classifier.weight)
    nn.init.zeros_(classifier.bias)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = max(1, x_train.shape[0] // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, steps_per_epoch * epochs, 0, "cosine")
    )
    for _ in range(epochs):
        order = torch.randperm(x_train.shape[0], generator=generator)
        for i in range(steps_per_epoch):
            batch = order[i * batch_size : (i + 1) * batch_size]
            loss = F.cross_entropy(classifier(x_train[batch]), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    with torch.no_grad():
        return (classifier(x_test).argmax(1) == test_labels).float().mean().item()


@torch.no_grad()
def online_accuracy(classifier: nn.Linear, features: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy of the jointly trained online classifier on precomputed features."""
    classifier = classifier.cpu().eval()
    return (classifier(features).argmax(1) == labels).float().mean().item()


def evaluate(
    encoder: nn.Module,
    probes: list[ProbeSet],
    device: torch.device,
    config: EvalConfig,
    seed: int,
    online: nn.Linear | None = None,
) -> dict[str, float]:
    """``acc_<name>`` for every label of every probe set; with ``online``, also ``acc_online``: the online
    probe's accuracy on the first probe set's test features against its first label."""
    metrics = {}
    for probe in probes:
        train_features = extract_features(encoder, probe.train, device)
        test_features = extract_features(encoder, probe.test, device)
        for name, (train_labels, test_labels) in probe.labels.items():
            metrics[f"acc_{name}"] = linear_probe(
                train_features, train_labels.cpu(), test_features, test_labels.cpu(), config.probe_epochs, seed=seed
            )
        if online is not None and "acc_online" not in metrics:
            metrics["acc_online"] = online_accuracy(online, test_features, next(iter(probe.labels.values()))[1].cpu())
    return metrics
