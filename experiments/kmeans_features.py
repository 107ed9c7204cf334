"""k-means on intermediate features (paper Sec. 2, the hierarchical-feature figure).

Per image, the feature vectors of ResNet block groups 2, 3 and 4 are clustered with k-means, K in
{2, 4, 6, 8}; the cluster map, upsampled to the image, shows which regions the features group together.
The baseline is raw pixels (RGB averaged to the same resolution), clustered the same way in every run.

Encoders (``kmeans.encoder``): ``trained`` (SimCLR, supervised or untrained, ``method.name``, on
``data.images`` crops by the suite's trainer), ``file:<path>`` (the suite's ``--keep-encoders`` files, a
torchvision ResNet state dict, or a SimCLR checkpoint converted to PyTorch; see
``training/encoder_files.py``) or ``torchvision:<weights>``. Where the paper has only pictures we add a
number: on images with a known object mask (a digit-shaped object cut from another photograph, see
``datasets/masked_objects.py``) how well the clusters follow the object (ARI, object IoU) per block and K.
Maps of a few whole photographs and masked images are saved with each run for the figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from analysis import kmeans_features as analysis
from analysis.kmeans import cluster_maps, mask_scores, upsample
from analysis.tables import save_arrays
from datasets import ImageSplit, load_mnist, load_natural_images, make_multidigit
from datasets.masked_objects import OBJECT_FILLS, MaskedImages, make_masked_objects
from datasets.sources import PHOTOS, TORCHVISION_SOURCES, photographs
from experiments.image_data import ImageData, ImageRun, load_split
from experiments.scales import QUICK_RESNET, SMOKE_RESNET
from sweeps.spec import Experiment, Preset, RunContext, RunOutcome
from training.data import TrainImages
from training.encoder_files import WEIGHTS_PREFIXES, EncoderWeightsError, load_weights
from training.features import BLOCKS, block_feature_maps, pixel_maps
from training.pretrain import pretrain
from training.rules import Interval, IntList, NameList, OneOf, parse_ints, setting

TRAINED = "trained"
DISPLAY_PHOTOS = ("chelsea", "coffee", "astronaut")  # a cat's face for the paper's dog's face
N_DISPLAY_MASKED = 3
MULTIDIGIT = "multidigit"  # MultiDigits canvases (for an encoder trained on them), digit boxes as the mask
MULTIDIGIT_COUNT = 4


@dataclass(frozen=True)
class KMeansData(ImageData):
    """images / image_size / n_train: what a ``trained`` encoder trains on (``ImageData``); canvas_size: the
    side of the clustered images; objects: the sets of masked images scored, ``+``-separated (fills of
    ``datasets/masked_objects.py``, or ``multidigit``: MultiDigits canvases with four ``object_size`` digits,
    their boxes as the mask), ``n_masked`` images each; the first set's images are the ones shown."""

    images: str = setting(PHOTOS, OneOf((PHOTOS, *TORCHVISION_SOURCES), prefixes=("folder:",)))
    image_size: int = setting(64, Interval(8, 512))
    n_train: int = setting(5000, Interval(0, 10**7))
    canvas_size: int = setting(128, Interval(16, 1024))
    objects: str = setting("texture+matched", NameList((*OBJECT_FILLS, MULTIDIGIT)))
    object_size: int = setting(80, Interval(4, 1024))
    n_masked: int = setting(64, Interval(1, 100000))

    def cross_problem(self) -> str | None:
        if self.object_size > self.canvas_size:
            return f"data.object_size={self.object_size} must be <= data.canvas_size={self.canvas_size}"
        return super().cross_problem()


@dataclass(frozen=True)
class KMeansConfig:
    """encoder: trained | file:<path> | torchvision:<weights name>; label: its name in figures (default: the
    method, or the file name); blocks / ks: block groups and cluster counts, ``+``-separated; normalize:
    L2-normalize each location's features (cluster by direction); n_init: k-means restarts per image."""

    encoder: str = setting(TRAINED, OneOf((TRAINED,), prefixes=WEIGHTS_PREFIXES))
    label: str = ""
    blocks: str = setting("2+3+4", IntList(BLOCKS[0], BLOCKS[-1]))
    ks: str = setting("2+4+6+8", IntList(2, 64))
    normalize: bool = True
    n_init: int = setting(3, Interval(1, 100))


@dataclass(frozen=True)
class KMeansRun(ImageRun):
    data: KMeansData = field(default_factory=KMeansData)
    kmeans: KMeansConfig = field(default_factory=KMeansConfig)

    @property
    def trains_encoder(self) -> bool:
        return self.kmeans.encoder == TRAINED


def data_source(config: KMeansRun, data_root: str | None) -> str:
    """The sources the run reads; a weights file is loaded here, so a bad one fails before any run."""
    if not config.trains_encoder:
        try:
            load_weights(config.kmeans.encoder)
        except EncoderWeightsError as error:
            raise EncoderWeightsError(f"kmeans.encoder={config.kmeans.encoder}: {error}") from None
    sources = [load_split(config.data, True, config.seed, data_root).source] if config.trains_encoder else []
    if _on_photos(config):
        sources.append(_backgrounds(config, data_root).source)
    return "+".join([*sources, load_mnist(data_root)[1].source])


def _on_photos(config: KMeansRun) -> bool:
    """Whether any scored set pastes objects on photograph backgrounds (all but ``multidigit`` do)."""
    return any(name != MULTIDIGIT for name in config.data.objects.split("+"))


def _backgrounds(config: KMeansRun, data_root: str | None) -> ImageSplit:
    data = config.data
    per_class = max(1, data.n_masked // 5)
    return load_natural_images(data.images, False, data.canvas_size, data_root, photos_per_class=per_class, seed=1)


def _masked(config: KMeansRun, objects: str, backgrounds: ImageSplit | None, digits: ImageSplit) -> MaskedImages:
    """One set of scored images (for ``multidigit``, three more at the end to show)."""
    data = config.data
    if objects == MULTIDIGIT:
        n_images = data.n_masked + len(DISPLAY_PHOTOS)
        canvases = make_multidigit(
            digits, n_images, MULTIDIGIT_COUNT, data.canvas_size, data.object_size, "random", config.seed
        )
        return MaskedImages(
            canvases.images.expand(-1, 3, -1, -1), box_masks(canvases.targets["boxes"], data.canvas_size)
        )
    return make_masked_objects(backgrounds, digits.images, data.n_masked, data.object_size, objects, config.seed)


def box_masks(boxes: torch.Tensor, size: int) -> torch.Tensor:
    """(N, K, 4) boxes (x0, y0, x1, y1), end exclusive -> (N, size, size) bool union of the boxes."""
    coords = torch.arange(size)
    inside_x = (coords >= boxes[..., 0, None]) & (coords < boxes[..., 2, None])  # (N, K, size)
    inside_y = (coords >= boxes[..., 1, None]) & (coords < boxes[..., 3, None])
    return (inside_y[..., :, None] & inside_x[..., None, :]).any(dim=1)


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
    if config.data.images == PHOTOS:
        whole = photographs(DISPLAY_PHOTOS, config.data.canvas_size)
    else:
        whole = backgrounds.images[: len(DISPLAY_PHOTOS)]
    no_mask = torch.zeros(len(whole), *masked.masks.shape[1:], dtype=torch.bool)
    return MaskedImages(torch.cat([whole, masked.images[shown]]), torch.cat([no_mask, masked.masks[shown]]))


def _encoder(config: KMeansRun, context: RunContext) -> tuple[torch.nn.Module, list[float]]:
    if not config.trains_encoder:
        return load_weights(config.kmeans.encoder).to(context.device), []
    train = load_split(config.data, True, config.seed, context.data_root)
    result = pretrain(
        config,
        TrainImages(train.images),
        train.labels,
        context.device,
        progress=context.progress,
        checkpoint=context.checkpoint,
    )
    return result.encoder, result.history


def _as_input(images: torch.Tensor, encoder: torch.nn.Module) -> torch.Tensor:
    """RGB images for an encoder trained on grey ones (a MultiDigits encoder) become luminance."""
    if encoder.stem[0].weight.shape[1] == 1 and images.shape[1] == 3:
        return images.mean(dim=1, keepdim=True)
    return images


def run(config: KMeansRun, context: RunContext) -> RunOutcome:
    km = config.kmeans
    blocks, ks = parse_ints(km.blocks), parse_ints(km.ks)
    encoder, history = _encoder(config, context)
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
    sources = {"": features, "pixels_": pixel_maps(images, {b: tuple(m.shape[-2:]) for b, m in features.items()})}
    metrics, maps = {}, {}
    start = time.perf_counter()
    for prefix, source in sources.items():
        for b in blocks:
            for k in ks:
                clusters = cluster_maps(source[b], k, config.seed, km.normalize, km.n_init)
                maps[f"{prefix or 'encoder_'}b{b}_k{k}"] = clusters[:n_display].numpy().astype(np.uint8)
                for i, name in enumerate(sets):
                    own = clusters[n_display + i * n_masked : n_display + (i + 1) * n_masked]
                    scores = mask_scores(upsample(own, canvas), masked[name].masks[:n_masked])
                    metrics.update({f"{name}_{prefix}{metric}_b{b}_k{k}": v for metric, v in scores.items()})
    metrics["kmeans_s"] = time.perf_counter() - start
    metrics["features_s"] = features_s
    if context.outputs is not None:
        pixels = (display.images * 255).round().to(torch.uint8).numpy()
        arrays = {"images": pixels, "masks": display.masks.numpy()}
        save_arrays(context.outputs / analysis.MAPS_FILE, arrays | maps)
    return RunOutcome(metrics, history)


MULTIDIGIT_ENCODERS = "scratch/multidigit_count/quick/runs"  # where --keep-encoders --out scratch puts them
TRAINED_VARIANTS = tuple({"method.name": m} for m in ("simclr", "supervised", "random"))
PRESETS = {
    "smoke": Preset(
        base={
            **SMOKE_RESNET,
            "data.image_size": 32,
            "data.n_train": 160,
            "data.canvas_size": 48,
            "data.object_size": 32,
            "data.n_masked": 6,
            "kmeans.ks": "2+4",
            "kmeans.n_init": 1,
        },
        variants=TRAINED_VARIANTS,
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={
            **QUICK_RESNET,
            "model.width": 16,
            "data.image_size": 64,
            "data.n_train": 5000,
            "data.canvas_size": 128,
            "data.object_size": 80,
            "data.n_masked": 64,
            "optim.epochs": 8,
            "loss.temperature": 0.2,
        },
        variants=TRAINED_VARIANTS,
        note="2-core CPU: ResNet-18 width 16 (stride-2 stem) trained on 64 px crops of the ten offline "
        "photographs, maps on 128 px images, 64 masked images scored",
    ),
    "multidigit": Preset(
        base={
            "data.objects": MULTIDIGIT,
            "data.canvas_size": 112,
            "data.object_size": 28,
            "data.n_masked": 64,
        },
        variants=(
            {"kmeans.encoder": f"file:{MULTIDIGIT_ENCODERS}/c253ef16b2a5.encoder.pt", "kmeans.label": "SimCLR"},
            {"kmeans.encoder": f"file:{MULTIDIGIT_ENCODERS}/e9a6a6f31c56.encoder.pt", "kmeans.label": "supervised"},
        ),
        note="multidigit_count quick encoders (4 digits, random placement, the 84 px canvas) on MultiDigits canvases, "
        "112 px, 28 px digits; first keep them: run_experiment.py multidigit_count --preset quick --set method.name="
        "simclr,supervised data.n_digits=4 data.placement=random data.canvas_size=84 --keep-encoders --out scratch",
    ),
    "paper": Preset(
        base={
            "data.images": "folder:data/imagenet",
            "data.canvas_size": 224,
            "data.object_size": 144,
            "data.n_masked": 500,
        },
        variants=(
            {"kmeans.encoder": "file:data/weights/resnet50-1x.pth", "kmeans.label": "SimCLR ResNet-50 (1x)"},
            {"kmeans.encoder": "file:data/weights/resnet50-2x.pth", "kmeans.label": "SimCLR ResNet-50 (2x)"},
            {"kmeans.encoder": "torchvision:ResNet50_Weights.IMAGENET1K_V1", "kmeans.label": "supervised ResNet-50"},
        ),
        note="paper scale: SimCLR ResNet-50 1x / 2x converted from the official TensorFlow checkpoints "
        "(data/weights/resnet50-{1x,2x}.pth) and torchvision's supervised ResNet-50, on ImageNet (or COCO) "
        "images as an ImageFolder under data/imagenet, 224 px",
    ),
}

EXPERIMENT = Experiment(
    name="kmeans_features",
    figure_title="Sec. 2, k-means on intermediate features (SimCLR vs supervised vs raw pixels)",
    config_cls=KMeansRun,
    presets=PRESETS,
    run=run,
    data_source=data_source,
    figure=analysis.figure,
    claim_check=analysis.claim_check,
)
