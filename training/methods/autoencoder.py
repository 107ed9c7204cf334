"""Autoencoder: the encoder plus a small decoder that reconstructs the augmented view; loss = mean squared
error over the reconstructed pixels.

``method.reconstruct`` picks the target: ``image`` (default) reconstructs the view's image channels only, so
channels added after augmentation (RandBit planes) are inputs the encoder may use but never targets (it never
has to encode the bits, so it cannot show suppression by them); ``all`` reconstructs every channel, where with
many bit planes on one grey channel the bits are most of the error (20 planes: 95%) and the decoder can lower
it most by reconstructing the bits and leaving the image at its mean; ``balanced`` reconstructs every channel
with loss = (MSE over the image channels + MSE over the added channels) / 2, so the image and the bits weigh
the same whatever their channel counts (without added channels: the image MSE).

Decoder: Linear(feature_dim, hidden) - BN - ReLU - Linear(hidden, C * H * W) - sigmoid (inputs are in
[0, 1]); it fits any encoder, since it reads only the representation; ``setup`` sizes the last layer
to the target.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.config import TrainingSettings
from training.methods.base import Method, StepOutput, register


def reconstruction_loss(
    reconstruction: torch.Tensor, target: torch.Tensor, image_channels: int | None = None
) -> torch.Tensor:
    """MSE over every entry; with ``image_channels``, the mean of the image channels' MSE and the rest's."""
    reconstruction, target = reconstruction.float(), target.float()
    if image_channels is None or image_channels == target.shape[1]:
        return F.mse_loss(reconstruction, target)
    image, added = slice(None, image_channels), slice(image_channels, None)
    return (
        F.mse_loss(reconstruction[:, image], target[:, image]) + F.mse_loss(reconstruction[:, added], target[:, added])
    ) / 2


@register
class Autoencoder(Method):
    name = "autoencoder"
    n_views = 1

    def __init__(self, encoder: nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__(encoder, settings, targets)
        self.reconstruct = settings.method.reconstruct
        hidden = settings.model.head_hidden
        self.decoder = nn.Sequential(
            nn.Linear(encoder.feature_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True)
        )

    def setup(self, example: torch.Tensor, image_channels: int) -> None:
        """The decoder's output layer, sized to the target of one view: (image or all channels, H, W)."""
        self.channels = image_channels if self.reconstruct == "image" else example.shape[1]
        self.image_channels = image_channels if self.reconstruct == "balanced" else None
        self.shape = (self.channels, *example.shape[2:])
        self.decoder.append(nn.Linear(self.decoder[0].out_features, self.channels * example[0, 0].numel()))

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = self.encoder(views[0])
        reconstruction = torch.sigmoid(self.decoder(features)).view(-1, *self.shape)
        loss = reconstruction_loss(reconstruction, views[0][:, : self.channels], self.image_channels)
        return StepOutput(loss, [features])
