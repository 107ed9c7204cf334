"""Shared trainer: encoders, projection heads, batched augmentation, SimCLR / supervised training, linear eval."""
