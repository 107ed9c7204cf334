"""Linear evaluation: frozen encoder, features extracted once, a linear classifier per target.

Features are standardized with the train split's mean and std; a linear softmax classifier is trained with
Adam (cosine schedule) on the train features and its accuracy is reported on the test features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.data import TrainImages
from training.device import as_input, autocast
from training.optim import lr_factor


@torch.no_grad()
def extract_features(
    encoder: nn.Module, data: TrainImages, device: torch.device, batch_size: int = 1024
) -> torch.Tensor:
    """(N, feature_dim) float32 features on the CPU; ``data.add_channels`` (bits) applied to every batch."""
    encoder.eval()
    chunks = []
    for start in range(0, len(data), batch_size):
        index = torch.arange(start, min(start + batch_size, len(data)))
        images = data.finish(data.images[index].to(device), index)
        with autocast(device):
            chunks.append(encoder(as_input(images, device)).float().cpu())
    return torch.cat(chunks)


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
