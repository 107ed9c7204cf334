"""Which config keys each pretraining method reads, by name: pure Python, so that a run config is checked before
torch loads (the methods themselves are in ``training/methods/``).

``METHOD_USES`` names the config keys each method reads, as dotted prefixes (``"loss"`` = the whole section);
``method.name`` and every section outside ``TRAINER_SECTIONS`` (``data``, ``eval``, ``seed``, an experiment's
own section) apply to every run. The config layer resets the keys a method does not read to their defaults, so
e.g. supervised runs are never repeated per temperature.
"""

from __future__ import annotations

TRAINER_SECTIONS = ("model", "method", "loss", "augment", "optim")  # what trains the encoder
ENCODER_KEYS = ("model.encoder", "model.width", "model.stem_stride", "model.init", "model.bn_momentum", "model.bn_eps")
TRAINING_KEYS = ("augment", "optim", "method.online_probe", "method.online_views", "method.online_init")

METHOD_USES: dict[str, tuple[str, ...]] = {
    "autoencoder": (*ENCODER_KEYS, "model.head_hidden", "method.reconstruct", *TRAINING_KEYS),
    "byol": ("model", "method.ema", *TRAINING_KEYS),
    "moco": ("model", "loss.temperature", "method.ema", "method.queue_size", *TRAINING_KEYS),
    "pixels": (),  # reads no model key: one pixel run per data section, whatever the encoder of the grid
    "random": ENCODER_KEYS,
    "simclr": ("model", "loss", *TRAINING_KEYS),
    "supervised": (*ENCODER_KEYS, *TRAINING_KEYS),
}


# The smallest ``model.head_depth`` a method can train with: BYOL's predictor and MoCo's queued keys sit on a
# projection head, so 0 is refused for them (it would silently train depth 1 under another run id).
SMALLEST_HEAD_DEPTH = {"byol": 1, "moco": 1}


def uses_key(name: str, key: str) -> bool:
    """Whether a run of the method called ``name`` reads the dotted config ``key``."""
    if key.split(".")[0] not in TRAINER_SECTIONS or key == "method.name":
        return True
    return any(key == prefix or key.startswith(prefix + ".") for prefix in METHOD_USES[name])
