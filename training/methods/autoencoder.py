"""Autoencoder: the encoder plus a small decoder that reconstructs the augmented view; loss = mean squared
error over the reconstructed pixels.

``method.reconstruct`` picks the target: ``image`` (default) reconstructs the view's image channels only, so
channels added after augmentation (RandBit planes) are inputs the encoder may use but never targets; ``all``
reconstructs every channel, where with many bit planes on one grey channel the bits are most of the error
(20 planes: 95%) and the decoder can lower it most by reconstructing the bits and leaving the image at its
mean.

Decoder: Linear(feature_dim, hidden) - BN - ReLU - Linear(hidden, C * H * W) - sigmoid (inputs are in
[0, 1]); it fits any encoder, since it reads only the representation; ``setup`` sizes the last layer
to the target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from training.methods.base import Method, StepOutput, register

if TYPE_CHECKING:  # the config imports the method registry for its names; at run time this is one way
    from training.config import TrainingSettings


def reconstruction_loss(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(reconstruction.float(), target.float())


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
        self.shape = (self.channels, *example.shape[2:])
        self.decoder.append(nn.Linear(self.decoder[0].out_features, self.channels * example[0, 0].numel()))

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = self.encoder(views[0])
        reconstruction = torch.sigmoid(self.decoder(features)).view(-1, *self.shape)
        return StepOutput(reconstruction_loss(reconstruction, views[0][:, : self.channels]), [features])
