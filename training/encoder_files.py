"""ResNet encoders from files: the suite's own saved encoders, torchvision weights and converted SimCLR.

Three formats load into ``ResNetEncoder`` (so every encoder exposes the same four block groups):

* the suite's encoder file (``save_encoder``): ``{"format": SUITE_FORMAT, "arch", "width", "stem",
  "stem_stride", "in_channels", "state_dict"}``, written by ``run_experiment.py --keep-encoders``;
* a torchvision-layout ResNet-18/50 state dict (``conv1``, ``bn1``, ``layer1``..``layer4``, ``fc``), as saved
  from ``torchvision.models.resnet50(weights=...).state_dict()``; a ``module.`` prefix (DDP) is stripped;
* the same, under a ``"state_dict"`` key: the files of the SimCLR v1 converter (github.com/tonylins/
  simclr-converter, ``resnet50-1x.pth`` / ``-2x`` / ``-4x`` from the official TensorFlow checkpoints), whose
  ``w``x ResNet-50 has every width multiplied by ``w``: ``ResNetEncoder(width=64 * w)``.

The architecture (ResNet-18 or -50, width, input channels) is read from the tensors; the ImageNet stem
(7 x 7 stride-2 conv + max-pool) is used; ``fc`` (the classifier) is dropped. Any other missing or unexpected
key is an error that names the keys.
"""

from __future__ import annotations

from pathlib import Path

import torch

from datasets.validation import InvalidParameterError
from training.atomic import save_torch
from training.encoders import RESNETS, STEMS, ResNetEncoder

SUITE_FORMAT = "contrastive-suite-encoder/1"


class EncoderWeightsError(InvalidParameterError):
    """A weights file or name that cannot give an encoder; the message says why in one line."""


def save_encoder(encoder: ResNetEncoder, arch: str, stem: str, stem_stride: int, path: Path) -> None:
    """Save ``encoder`` in the suite's format, atomically (a ``.tmp`` sibling, then a rename)."""
    in_channels = encoder.stem[0].weight.shape[1]
    state = {k: v.detach().cpu() for k, v in encoder.state_dict().items()}
    record = {"format": SUITE_FORMAT, "arch": arch, "width": encoder.stem[0].weight.shape[0], "stem": stem}
    record.update(stem_stride=stem_stride, in_channels=in_channels, state_dict=state)
    save_torch(record, path)


def encoder_from_checkpoint(checkpoint: Path, arch: str, stem_stride: int, path: Path) -> bool:
    """Save the encoder of a trainer checkpoint (``training/loop.py``) in the suite's format at ``path``;
    False (nothing written) for an encoder without block groups (ConvN)."""
    if arch not in RESNETS:
        return False
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["learner"]
    prefix = "method.encoder."
    encoder_state = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    stem = encoder_state["stem.0.weight"]
    encoder = ResNetEncoder(arch, stem.shape[1], stem.shape[0], "small", stem_stride)
    save_encoder(_load_strict(encoder, encoder_state, str(checkpoint)), arch, "small", stem_stride, path)
    return True


def _torchvision_to_suite(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename torchvision ResNet keys to ``ResNetEncoder``'s (``conv1`` -> ``stem.0``, ``layer2`` -> ``layers.1``)."""
    renamed = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if key.startswith("fc."):
            continue
        head, _, rest = key.partition(".")
        if head == "conv1":
            key = f"stem.0.{rest}"
        elif head == "bn1":
            key = f"stem.1.{rest}"
        elif head.startswith("layer") and head[5:].isdigit():
            key = f"layers.{int(head[5:]) - 1}.{rest}"
        renamed[key] = value
    return renamed


def _load_strict(encoder: ResNetEncoder, state: dict[str, torch.Tensor], source: str) -> ResNetEncoder:
    """``state`` into ``encoder``, refused in one line when keys, shapes or values do not fit."""
    expected = encoder.state_dict()
    mismatched = [k for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if mismatched:
        key = mismatched[0]
        raise EncoderWeightsError(
            f"{source}: {key} has shape {tuple(state[key].shape)}, the encoder needs {tuple(expected[key].shape)} "
            f"({len(mismatched)} tensors differ)"
        )
    if bad := [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]:
        raise EncoderWeightsError(f"{source}: non-finite weights (NaN or inf) in {_few(sorted(bad))}")
    result = encoder.load_state_dict(state, strict=False)
    problems = []
    if result.missing_keys:
        problems.append(f"missing {_few(result.missing_keys)}")
    if result.unexpected_keys:
        problems.append(f"unexpected {_few(result.unexpected_keys)}")
    if problems:
        raise EncoderWeightsError(f"{source}: its keys do not match the ResNet encoder: {'; '.join(problems)}")
    return encoder.eval()


def _few(keys: list[str], n: int = 4) -> str:
    more = f" and {len(keys) - n} more" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def encoder_from_state_dict(state: dict[str, torch.Tensor], source: str) -> ResNetEncoder:
    """A ``ResNetEncoder`` holding a torchvision-layout ResNet-18/50 state dict (see the module docstring)."""
    state = _torchvision_to_suite(state)
    stem = state.get("stem.0.weight")
    if not isinstance(stem, torch.Tensor) or stem.dim() != 4:
        sample = _few(sorted(state))
        raise EncoderWeightsError(f"{source}: no ResNet stem convolution (conv1.weight) among its keys ({sample})")
    arch = "resnet50" if any(k.endswith(".conv3.weight") for k in state) else "resnet18"
    width, in_channels = stem.shape[0], stem.shape[1]
    with torch.device("meta"):  # shapes only: the real tensors come from ``state``
        encoder = ResNetEncoder(arch, in_channels, width, "imagenet")
    return _load_strict(encoder.to_empty(device="cpu"), state, f"{source} (a {arch} of width {width})")


def _read(path: Path) -> dict:
    if path.is_dir():
        raise EncoderWeightsError(f"weights file {str(path)!r} is a folder; name the weights file inside it")
    if not path.is_file():
        raise EncoderWeightsError(f"weights file {str(path)!r} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same one-line error
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise EncoderWeightsError(f"weights file {str(path)!r} cannot be read as a PyTorch file: {reason}") from None
    if not isinstance(loaded, dict):
        raise EncoderWeightsError(f"weights file {str(path)!r} holds a {type(loaded).__name__}, not a state dict")
    return loaded


def _tensor_dict(state: object) -> bool:
    return isinstance(state, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())


# The suite format's fields and what each must hold (checked before any is used).
_SUITE_FIELDS = {
    "arch": (lambda v: v in RESNETS, " or ".join(RESNETS)),
    "in_channels": (lambda v: isinstance(v, int) and 0 < v <= 64, "an integer in [1, 64]"),
    "width": (lambda v: isinstance(v, int) and 0 < v <= 4096, "an integer in [1, 4096]"),
    "stem": (lambda v: v in STEMS, " or ".join(STEMS)),
    "stem_stride": (lambda v: isinstance(v, int) and 1 <= v <= 4, "an integer in [1, 4]"),
    "state_dict": (_tensor_dict, "a mapping of parameter names to tensors"),
}


def load_encoder_file(path: Path) -> ResNetEncoder:
    """The encoder in ``path``: the suite's format, a torchvision state dict, or one under ``state_dict``."""
    loaded, source = _read(path), f"weights file {str(path)!r}"
    if loaded.get("format") == SUITE_FORMAT:
        for name, (valid, allowed) in _SUITE_FIELDS.items():
            if name not in loaded or not valid(loaded[name]):
                found = "missing" if name not in loaded else f"{type(loaded[name]).__name__} {str(loaded[name])[:40]!r}"
                raise EncoderWeightsError(f"{source}: suite-format field {name!r} is {found}; it must be {allowed}")
        encoder = ResNetEncoder(
            loaded["arch"], loaded["in_channels"], loaded["width"], loaded["stem"], loaded["stem_stride"]
        )
        return _load_strict(encoder, loaded["state_dict"], source)
    state = loaded.get("state_dict", loaded)
    if not _tensor_dict(state):
        raise EncoderWeightsError(
            f"{source} holds no state dict of named tensors (keys: {_few(sorted(map(str, loaded)))})"
        )
    return encoder_from_state_dict(state, source)


def torchvision_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The state dict of torchvision weights ``name`` (e.g. ``ResNet50_Weights.IMAGENET1K_V1``), from the
    torch hub cache or downloaded; a one-line error when the name is unknown or the file cannot be had."""
    from torchvision.models import get_weight

    try:
        weights = get_weight(name)
    except (ValueError, KeyError, AttributeError):
        raise EncoderWeightsError(
            f"torchvision weights {name!r} are unknown; use a name such as ResNet50_Weights.IMAGENET1K_V1 "
            f"(torchvision.models.list_models / get_model_weights list them)"
        ) from None
    try:
        return weights.get_state_dict(progress=False)
    except Exception as error:  # noqa: BLE001 - offline, a proxy, a broken cache: one line, with the way out
        raise EncoderWeightsError(
            f"torchvision weights {name} could not be loaded ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:100] if str(error) else ''}); download {weights.url} elsewhere and pass "
            f"file:<path>"
        ) from None


def load_weights(spec: str) -> ResNetEncoder:
    """An encoder from ``file:<path>`` or ``torchvision:<weights name>``."""
    if spec.startswith("file:"):
        return load_encoder_file(Path(spec.removeprefix("file:")).expanduser())
    if spec.startswith("torchvision:"):
        name = spec.removeprefix("torchvision:")
        return encoder_from_state_dict(torchvision_state_dict(name), f"torchvision weights {name}")
    raise EncoderWeightsError(f"weights {spec!r} are unknown; use file:<path> or torchvision:<weights name>")
