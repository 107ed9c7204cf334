"""Preset building blocks shared by the ResNet experiments on synthetic images (MultiDigits, Modified
MultiDigits, DigitOnImage): the methods they compare and the model / training scale of each preset."""

from __future__ import annotations

FLOORS = ("random", "pixels")  # an untrained encoder and a linear probe on the raw pixels
BASELINES = ("simclr", "supervised", *FLOORS)  # SimCLR against supervised training and the two floors
FLOOR_VARIANTS = tuple({"method.name": method} for method in FLOORS)  # the floors beside a preset's variants
# Floors enter every grid from quick up; smoke grids stay the pipeline check in seconds (the multidigit smoke
# grids carry all of BASELINES, which runs both floors end to end in the tests).

SMOKE_SIZE = {  # seconds: a pipeline check on a few hundred images
    "data.n_train": 256,
    "data.n_test": 128,
    "optim.epochs": 1,
    "optim.batch_size": 64,
    "eval.probe_epochs": 3,
}
SMOKE_RESNET = {
    "model.width": 4,
    "model.stem_stride": 2,
    "model.head_hidden": 32,
    "model.head_out": 16,
    "optim.epochs": 1,
    "optim.batch_size": 64,
    "eval.probe_epochs": 3,
    "loss.temperature": 0.2,
}
QUICK_RESNET = {  # ResNet-18 at width 8 with a stride-2 stem: what a 2-core CPU trains in minutes
    "model.width": 8,
    "model.stem_stride": 2,
    "model.head_hidden": 256,
    "model.head_out": 64,
    "optim.batch_size": 128,
    "optim.lr": 2e-3,
    "eval.probe_epochs": 30,
}
# The speed levers of the ResNet and colour ``cpu`` presets, chosen per machine by ``training/levers.py``'s rule
# (bf16 + compile on a CPU with AMX, where they measured 1.5-2.1x a step; fp32 eager elsewhere); the measurements
# are in benchmarks/README.md. The committed records, made on an AMX CPU, keep their ids there.
CPU_LEVERS = {"optim.precision": "auto", "optim.compile": "auto"}
PAPER_MULTIDIGITS = {  # the paper's ResNet-18 on 60k MultiDigits images
    "optim.precision": "auto",  # bf16 on a GPU
    "data.n_train": 60000,
    "model.width": 64,
    "model.stem_stride": 1,
    "optim.epochs": 100,
    "optim.batch_size": 512,
    "optim.optimizer": "lars",
    "optim.lr": 0.6,
    "optim.weight_decay": 1e-6,
    "optim.warmup_epochs": 5,
}
