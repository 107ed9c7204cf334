"""Behaviour versions: what identifies the maths of each component a run uses, so that changed code
invalidates exactly the runs it affects.

A run's identity (``sweeps/config.py``) holds the versions of the components it uses that are above
1; every component starts at 1, so records made before a component's first change keep their ids. When the
output of a component changes (a loss's maths, a method's step, the augmentation, the linear probe, an
experiment's data generator), bump its number here: the runs that use it get new ids and are re-run, the
others are still found. ``tests/test_versions.py`` holds each component's output on a fixed input per
version and fails when the output changes while the version stays the same.
"""

from __future__ import annotations

# component -> behaviour version; a component missing here is at version 1. Components: ``data:<experiment>``
# (its generator), ``method:<name>``, ``loss:<name>`` (where the method reads a loss), ``augment`` (where the
# run trains), ``probe`` (the linear evaluation), ``encoder:<name>`` and ``init:<name>`` (where the run builds
# an encoder), ``loop`` (``training/loop.py``), ``optim`` (LARS, the schedules, lr scaling) and ``head`` (where
# the run trains); ``sweeps.config.components`` says which a run uses.
VERSIONS: dict[str, int] = {
    "method:autoencoder": 2,  # 2: reconstructs the image channels only (method.reconstruct=image); 1 was all
    "data:multidigit_count": 2,  # 2: in-grid runs are probed with cell-aligned digits, as they were trained
    "data:kmeans_features": 3,  # 2: scored without the padding ring, MultiDigits objects by their ink, not boxes;
    # 3: encoders trained on masked canvases also score view retrieval on held-out ones
}
