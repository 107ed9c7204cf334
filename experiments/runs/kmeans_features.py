"""One run of kmeans_features: an encoder (trained, untrained or from a file), k-means of its block feature
maps, scored against object masks."""

from __future__ import annotations

import time

import numpy as np
import torch

from analysis import kmeans_features as analysis
from analysis.kmeans import border_pixels, cluster_maps, interior, mask_scores, upsample
from analysis.tables import save_arrays
from datasets import ImageSplit, load_mnist, load_natural_images, make_multidigit
from datasets.folder import as_float
from datasets.masked_objects import MaskedImages, make_masked_objects
from datasets.sources import PHOTOS, photographs
from experiments.kmeans_features import (
    DISPLAY_PHOTOS,
    INK,
    MASKED,
    MULTIDIGIT,
    MULTIDIGIT_COUNT,
    N_DISPLAY_MASKED,
    RETRIEVAL_VIEWS,
    KMeansRun,
)
from experiments.runs import pretrain_in
from experiments.runs.image_data import load_split
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages
from training.encoder_files import EncoderWeightsError, load_weights
from training.evaluate import ProbeSet, evaluate, view_retrieval
from training.features import block_feature_maps, pixel_maps
from training.rules import parse_ints


def data_source(config: KMeansRun, data_root: str | None) -> str:
    """The sources the run reads; a weights file is loaded here, so a bad one fails before any run."""
    if not config.trains_encoder:
        try:
            load_weights(config.kmeans.encoder)
        except EncoderWeightsError as error:
            raise EncoderWeightsError(f"kmeans.encoder={config.kmeans.encoder}: {error}") from None
    sources = [_training_split(config, True, data_root).source] if config.trains_encoder else []
    if _on_photos(config):
        sources.append(_backgrounds(config, data_root).source)
    return "+".join([*sources, load_mnist(data_root)[1].source])


def _on_photos(config: KMeansRun) -> bool:
    """Whether any scored set pastes objects on photograph backgrounds (all but ``multidigit`` do)."""
    return any(name != MULTIDIGIT for name in config.data.objects.split("+"))


def _backgrounds(config: KMeansRun, data_root: str | None) -> ImageSplit:
    data = config.data
    per_class = max(1, data.n_masked // 5)
    return load_natural_images(
        data.images if data.images != MASKED else PHOTOS,
        False,
        data.canvas_size,
        data_root,
        photos_per_class=per_class,
        seed=1,
    )


def _training_split(config: KMeansRun, train: bool, data_root: str | None) -> ImageSplit:
    """What a ``trained`` encoder trains on (``train``) or is probed on: ``load_split`` of ``data``, or for
    ``masked`` the canvases of the first scored set's fill at ``image_size`` (train: the photographs' train
    region and MNIST's training digits; held out: the test region and test digits), labelled by the digit
    whose silhouette the object has."""
    data = config.data
    if data.images != MASKED:
        return load_split(data, train, config.seed, data_root)
    n = data.n_train if train else data.n_test
    backgrounds = load_natural_images(
        PHOTOS, train, data.image_size, data_root, photos_per_class=max(1, n // 10), seed=config.seed
    )
    digits = load_mnist(data_root)[0 if train else 1]
    fill = data.objects.split("+")[0]
    seed = config.seed * 2 + int(train)
    canvases = make_masked_objects(backgrounds, digits.images, n, data.training_object_size, fill, seed)
    source = f"{MASKED}-{fill}:{backgrounds.source}+{digits.source}"
    return ImageSplit(canvases.images, digits.labels[canvases.digit_index], source, digits.class_names)


def _masked(config: KMeansRun, objects: str, backgrounds: ImageSplit | None, digits: ImageSplit) -> MaskedImages:
    """One set of scored images (for ``multidigit``, three more at the end to show; their ink is the mask)."""
    data = config.data
    if objects == MULTIDIGIT:
        n_images = data.n_masked + len(DISPLAY_PHOTOS)
        canvases = make_multidigit(
            digits, n_images, MULTIDIGIT_COUNT, data.canvas_size, data.object_size, "random", config.seed
        )
        return MaskedImages(canvases.images.expand(-1, 3, -1, -1), canvases.images[:, 0] > INK)
    return make_masked_objects(backgrounds, digits.images, data.n_masked, data.object_size, objects, config.seed)


def _display(config: KMeansRun, objects: str, masked: MaskedImages, backgrounds: ImageSplit | None) -> MaskedImages:
    """Three whole images (photographs, a folder's first test images, or more MultiDigits canvases) and the
    first three masked images, with their masks (none for photographs)."""
    shown = slice(0, N_DISPLAY_MASKED)
    if objects == MULTIDIGIT:
        extra = slice(config.data.n_masked, None)
        return MaskedImages(
            torch.cat([masked.images[extra], masked.images[shown]]),
            torch.cat([masked.masks[extra], masked.masks[shown]]),
        )
    if config.data.images in (PHOTOS, MASKED):
        whole = photographs(DISPLAY_PHOTOS, config.data.canvas_size)
    else:
        whole = as_float(backgrounds.images[: len(DISPLAY_PHOTOS)])
    no_mask = torch.zeros(len(whole), *masked.masks.shape[1:], dtype=torch.bool)
    return MaskedImages(torch.cat([whole, masked.images[shown]]), torch.cat([no_mask, masked.masks[shown]]))


def _encoder(config: KMeansRun, context: RunContext) -> tuple[torch.nn.Module, list[float], dict[str, float]]:
    """The encoder, its training history, and (trained on ``masked`` canvases with ``n_test``) how well it does
    each training task on held-out canvases: ``acc_linear``, a linear probe of the digit class (supervised
    training's task), and ``view_retrieval``, finding each canvas's other view (SimCLR's); the claim check
    compares them with the untrained encoder's to tell whether training learned its task."""
    if not config.trains_encoder:
        return load_weights(config.kmeans.encoder).to(context.device), [], {}
    train = _training_split(config, True, context.data_root)
    result = pretrain_in(context, config, TrainImages(train.images), train.labels)
    if config.data.images != MASKED or not config.data.n_test:
        return result.encoder, result.history, {}
    test = _training_split(config, False, context.data_root)
    probe = ProbeSet(TrainImages(train.images), TrainImages(test.images), {"linear": (train.labels, test.labels)})
    metrics = evaluate(result.encoder, [probe], context.device, config.eval, config.seed)
    retrieval = view_retrieval(result.encoder, test.images, RETRIEVAL_VIEWS, context.device, config.seed)
    return result.encoder, result.history, metrics | {"view_retrieval": retrieval}


def _as_input(images: torch.Tensor, encoder: torch.nn.Module) -> torch.Tensor:
    """RGB images for an encoder trained on grey ones (a MultiDigits encoder) become luminance."""
    if encoder.stem[0].weight.shape[1] == 1 and images.shape[1] == 3:
        return images.mean(dim=1, keepdim=True)
    return images


def run(config: KMeansRun, context: RunContext) -> RunOutcome:
    km = config.kmeans
    blocks, ks = parse_ints(km.blocks), parse_ints(km.ks)
    encoder, history, metrics = _encoder(config, context)
    sets = config.data.objects.split("+")
    backgrounds = _backgrounds(config, context.data_root) if _on_photos(config) else None  # once, for every set
    digits = load_mnist(context.data_root)[1]
    masked = {name: _masked(config, name, backgrounds, digits) for name in sets}
    display = _display(config, sets[0], masked[sets[0]], backgrounds)
    n_display, n_masked, canvas = len(display.images), config.data.n_masked, config.data.canvas_size
    scored = [m.images[:n_masked] for m in masked.values()]
    images = _as_input(torch.cat([display.images, *scored]), encoder)
    start = time.perf_counter()
    features = block_feature_maps(encoder, images, blocks, context.device)
    features_s = time.perf_counter() - start
    sizes = {b: tuple(m.shape[-2:]) for b, m in features.items()}
    border = border_pixels(canvas, min(size[-1] for size in sizes.values())) if km.exclude_border else 0
    sources = {"": features, "pixels_": pixel_maps(images, sizes)}
    maps = {}
    start = time.perf_counter()
    for prefix, source in sources.items():
        for b in blocks:
            inside = interior(source[b], canvas, border)
            for k in ks:
                clusters = cluster_maps(inside, k, config.seed, km.normalize, km.n_init)
                maps[f"{prefix or 'encoder_'}b{b}_k{k}"] = clusters[:n_display].numpy().astype(np.uint8)
                for i, name in enumerate(sets):
                    own = clusters[n_display + i * n_masked : n_display + (i + 1) * n_masked]
                    truth = interior(masked[name].masks[:n_masked], canvas, border)
                    scores = mask_scores(upsample(own, canvas - 2 * border), truth)
                    metrics.update({f"{name}_{prefix}{metric}_b{b}_k{k}": v for metric, v in scores.items()})
    metrics["kmeans_s"] = time.perf_counter() - start
    metrics["features_s"] = features_s
    if context.outputs is not None:
        pixels = (display.images * 255).round().to(torch.uint8).numpy()
        arrays = {"images": pixels, "masks": display.masks.numpy(), "border": np.array(border)}
        save_arrays(context.outputs / analysis.MAPS_FILE, arrays | maps)
    return RunOutcome(metrics, history)
