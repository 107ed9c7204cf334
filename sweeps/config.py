"""The run config: sections ``data``, ``model``, ``method``, ``loss``, ``augment``, ``optim``, ``eval`` and ``seed``.

Life of a config, all before any data loads:

* ``compose``: typed merge of dotted settings (``{"loss.temperature": "0.1"}``) onto the defaults, with
  OmegaConf structured configs (a ``True`` for a float, ``1.5`` for an int or an unknown key is refused);
* ``validate``: every field against its rule (``training.rules``) and each section's cross-field check;
* ``canonical``: the fields the run's method (or loss) does not read are reset to their defaults;
* ``identity`` / ``run_id``: a hash of the fields that differ from the defaults, the data source, the
  experiment, ``SCHEMA`` and the behaviour versions of the components the run uses
  (``sweeps/versions.py``); a new field with a default never changes an existing id.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import typing
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from losses.parameters import LOSS_PARAMETERS
from sweeps.spec import ConfigError
from sweeps.versions import VERSIONS
from training.config import AugmentConfig, EvalConfig, LossConfig, MethodConfig, ModelConfig, OptimConfig
from training.levers import AUTO, resolve_levers
from training.method_keys import SMALLEST_HEAD_DEPTH, TRAINER_SECTIONS, uses_key
from training.rules import Interval, field_problem, setting

# Version of what a config means; bump it when the meaning of an existing field changes (the records of the
# old schema are then re-run, or rewritten by a one-off script). Adding a field with a default needs no bump.
SCHEMA = 2


@dataclass(frozen=True)
class DataConfig:
    """Each experiment replaces this with its own data section."""


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = setting(0, Interval(0, 2**31 - 1))

    @property
    def trains_encoder(self) -> bool:
        """Whether the run trains its encoder; when not (an experiment that loads one from a file), the
        trainer's sections (``TRAINER_SECTIONS``) are not read."""
        return True

    def cross_problem(self) -> str | None:
        """A batch never larger than the training set, when the data section names its size (0: the whole
        split, checked by the trainer once the data is loaded)."""
        n_train = getattr(self.data, "n_train", 0)
        if self.model.head_depth < (smallest := SMALLEST_HEAD_DEPTH.get(self.method.name, 0)):
            return (
                f"model.head_depth={self.model.head_depth} is not allowed with method.name={self.method.name}; it "
                f"must be >= {smallest} (the method's predictor or keys sit on the projection head)"
            )
        if 0 < n_train < self.optim.batch_size:
            return f"optim.batch_size={self.optim.batch_size} must be <= data.n_train={n_train}"
        if reads(self, "method.queue_size") and self.method.queue_size < self.optim.batch_size:
            return (
                f"method.queue_size={self.method.queue_size} must be >= optim.batch_size={self.optim.batch_size} "
                "(each step enqueues a whole batch of keys)"
            )
        return None


@functools.cache
def flat_fields(config_cls: type, prefix: str = "") -> dict[str, type]:
    """Dotted key -> type of every leaf field, e.g. ``{"loss.temperature": float, ..., "seed": int}`` (computed
    once per class; do not mutate the result)."""
    hints = typing.get_type_hints(config_cls)
    keys: dict[str, type] = {}
    for f in dataclasses.fields(config_cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            keys.update(flat_fields(kind, f"{prefix}{f.name}."))
        else:
            keys[f"{prefix}{f.name}"] = kind
    return keys


def flat_values(config: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key -> value of every leaf field of a config instance."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            values.update(flat_values(value, f"{prefix}{f.name}."))
        else:
            values[f"{prefix}{f.name}"] = value
    return values


def check_key(config_cls: type, key: str) -> None:
    keys = flat_fields(config_cls)
    if key not in keys:
        close = difflib.get_close_matches(key, keys, n=3) or [k for k in keys if k.endswith("." + key)]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(f"unknown key {key!r}; {hint}keys are section.name, e.g. {', '.join(list(keys)[:4])}, ...")


def _nested(settings: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in settings.items():
        *sections, name = key.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    return tree


@functools.cache
def structured(config_cls: type) -> DictConfig:
    """The defaults of ``config_cls`` as a typed OmegaConf node (built once per class; merges copy it)."""
    return OmegaConf.structured(config_cls)


BOOL_TEXTS = {"true": True, "false": False}
SWITCH = bool | str  # a lever: true, false or auto (``training/levers.py``)


def _strict_bool(key: str, value: Any, auto: bool = False) -> Any:
    """A bool or the text true / false (any case; with ``auto``, also ``auto``); OmegaConf alone would read ``2``
    or ``yes`` as True."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in BOOL_TEXTS:
        return BOOL_TEXTS[value.lower()]
    if auto and value == AUTO:
        return value
    raise ConfigError(f"{key}={value!r} is not allowed; it must be true{', false or auto' if auto else ' or false'}")


def compose(config_cls: type, settings: dict[str, Any]) -> Any:
    """The defaults of ``config_cls`` with ``settings`` (dotted key -> value or its text) merged in."""
    for key in settings:
        check_key(config_cls, key)
    kinds = flat_fields(config_cls)
    settings = {
        k: _strict_bool(k, v, kinds[k] == SWITCH) if kinds[k] in (bool, SWITCH) else v for k, v in settings.items()
    }
    try:
        merged = OmegaConf.merge(structured(config_cls), _nested(settings))
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None) or "?"
        kind = flat_fields(config_cls).get(key)
        expected = getattr(kind, "__name__", str(kind))
        raise ConfigError(f"{key}={settings.get(key)!r} is not allowed; it must be of type {expected}") from None


def validate(config: Any, prefix: str = "") -> None:
    """Raise one ConfigError for the first field outside its rule or section failing its cross-check."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            validate(value, f"{prefix}{f.name}.")
            continue
        allowed = field_problem(config, f.name)
        if allowed is not None:
            raise ConfigError(f"{prefix}{f.name}={value!r} is not allowed; it must be {allowed}")
    cross_problem = getattr(config, "cross_problem", None)
    problem = cross_problem() if cross_problem else None
    if problem:
        raise ConfigError(problem)


def unread_reason(config: Any, key: str) -> str | None:
    """Why a run with this config does not read ``key``, or None when it does. The one rule, in order: the
    run trains no encoder (trainer sections), its method does not use the key, the key's own section
    switches it off (each section's ``unread()``, e.g. ``augment.color_strength=0``), its loss does not."""
    if not config.trains_encoder and key.split(".")[0] in TRAINER_SECTIONS:
        return "the run loads its encoder instead of training one"
    if not uses_key(config.method.name, key):
        return f"method.name={config.method.name} does not read it"
    section, _, name = key.partition(".")
    unread = getattr(getattr(config, section, None), "unread", None)
    if reason := (unread() if callable(unread) else {}).get(name):
        return reason
    if section == "loss" and name != "name" and name not in LOSS_PARAMETERS[config.loss.name]:
        return f"loss.name={config.loss.name} reads only {', '.join(LOSS_PARAMETERS[config.loss.name])}"
    return None


def reads(config: Any, key: str) -> bool:
    """Whether a run with this config reads ``key`` (``unread_reason`` has no reason against it)."""
    return unread_reason(config, key) is None


def _replace(config: Any, values: dict[str, Any]) -> Any:
    """A copy of ``config`` with the dotted ``values`` set."""
    changes: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        if rest:
            sections.setdefault(head, {})[rest] = value
        else:
            changes[head] = value
    for head, sub in sections.items():
        changes[head] = _replace(getattr(config, head), sub)
    return dataclasses.replace(config, **changes)


def canonical(config: Any) -> Any:
    """``config`` with every field its run does not read reset to the default."""
    defaults = flat_values(type(config)())
    unread = {key: defaults[key] for key in defaults if not reads(config, key)}
    return _replace(config, unread)


def with_levers(config: Any, device_type: str, cuda_bf16: bool = True, kind: str | None = None) -> tuple[Any, str]:
    """``config`` with ``optim.precision`` / ``optim.compile`` resolved for the device (``training/levers.py``:
    ``auto`` by the rule for ``device_type`` and the CPU ``kind``, this machine's when None), and why."""
    precision, compiled, why = resolve_levers(
        config.optim.precision, config.optim.compile, device_type, cuda_bf16, kind
    )
    return _replace(config, {"optim.precision": precision, "optim.compile": compiled}), why


def non_defaults(config: Any) -> dict[str, Any]:
    """Dotted key -> value of the fields that differ from the defaults."""
    defaults = flat_values(type(config)())
    return {k: v for k, v in flat_values(config).items() if v != defaults[k]}


def components(config: Any, experiment: str) -> list[str]:
    """The components whose behaviour a run depends on (``sweeps/versions.py``): its experiment's data,
    its method, the linear probe, its loss where the method reads one, the augmentation where it trains, its
    encoder and initialization where it builds one, and the trainer (loop, optimizers and schedules, heads)
    where it trains."""
    used = [f"data:{experiment}", f"method:{config.method.name}", "probe"]
    used += [f"loss:{config.loss.name}"] if reads(config, "loss.name") else []
    used += ["augment"] if reads(config, "augment.crop") else []
    used += [f"encoder:{config.model.encoder}", f"init:{config.model.init}"] if reads(config, "model.encoder") else []
    return (
        used
        + (["loop", "optim"] if reads(config, "optim.epochs") else [])
        + (["head"] if reads(config, "model.head_depth") else [])
    )


def versions(config: Any, experiment: str) -> dict[str, int]:
    """The components of the run whose behaviour version is above 1: what enters the run's identity."""
    return {name: VERSIONS[name] for name in components(config, experiment) if VERSIONS.get(name, 1) != 1}


def identity(config: Any, data_source: str, experiment: str) -> dict[str, Any]:
    """What a run's id hashes: the schema, experiment, data source, the non-default fields and the behaviour
    versions above 1 of the components it uses (``sweeps/versions.py``; absent while all are 1, so
    older records keep their ids)."""
    found = {"schema": SCHEMA, "experiment": experiment, "data_source": data_source, "config": non_defaults(config)}
    return found | ({"versions": used} if (used := versions(config, experiment)) else {})


def run_id(config: Any, data_source: str, experiment: str) -> str:
    """12 hex digits of the SHA-1 of the run's identity."""
    payload = json.dumps(identity(config, data_source, experiment), sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def read_view(config: Any) -> dict[str, Any]:
    """The config as nested dicts with only the fields its run reads (what ``--print-config`` shows)."""
    return _nested({k: v for k, v in flat_values(config).items() if reads(config, k)})


def to_yaml(config: Any) -> str:
    return OmegaConf.to_yaml(read_view(config))
