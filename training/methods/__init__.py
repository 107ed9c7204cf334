"""Pretraining methods, registered by name. A new method is one module here plus its import below."""

from training.methods import autoencoder, byol, moco, pixels, random_init, simclr, supervised  # noqa: F401  (each registers itself)
from training.methods.base import METHODS, TRAINER_SECTIONS, Method, StepOutput, register, uses_key

__all__ = ["METHODS", "TRAINER_SECTIONS", "Method", "StepOutput", "register", "uses_key"]
