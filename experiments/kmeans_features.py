"""k-means on intermediate features (paper Sec. 2, the hierarchical-feature figure).

Per image, the feature vectors of ResNet block groups 2, 3 and 4 are clustered with k-means, K in
{2, 4, 6, 8}; the cluster map, upsampled to the image, shows which regions the features group together.
The baseline is raw pixels (RGB averaged to the same resolution), clustered the same way in every run.

Encoders (``kmeans.encoder``): ``trained`` (SimCLR, supervised or untrained, ``method.name``, by the suite's
trainer on ``data.images``: photograph crops, or ``masked``: canvases of the kind that is scored), ``file:<path>``
(the suite's ``--keep-encoders`` files, a torchvision ResNet state dict, or a SimCLR checkpoint converted to
PyTorch; see ``training/encoder_files.py``) or ``torchvision:<weights>``. Where the paper has only pictures we
add a number: on images with a known object mask (a digit-shaped object cut from another photograph, see
``datasets/masked_objects.py``; or MultiDigits canvases, the digits' ink as the mask) how well the clusters
follow the object (ARI, object IoU) per block and K, on the interior of the image: the outer ring of cells of
the coarsest map, which reads the encoder's zero padding, is left out of every map and mask
(``analysis.kmeans.interior``). An encoder trained on ``masked`` canvases (label: the digit whose silhouette
the object has) is also measured on held-out canvases at each training task, a linear probe of that label
(``acc_linear``, supervised training's) and finding each canvas's other view (``view_retrieval``, SimCLR's), so
that the claim check can tell whether training learned its own task; every gate compares with an untrained
encoder, which each preset's grid carries. Maps of a few whole images and masked images are
saved with each run for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.names import OBJECT_FILLS, PHOTOS, TORCHVISION_SOURCES
from experiments.image_data import ImageData, ImageRun
from experiments.scales import CPU_LEVERS, QUICK_RESNET, SMOKE_RESNET
from sweeps.spec import Experiment, Lazy, Preset
from training.config import BLOCKS, WEIGHTS_PREFIXES, AugmentConfig
from training.rules import Interval, IntList, NameList, OneOf, setting

TRAINED = "trained"
DISPLAY_PHOTOS = ("chelsea", "coffee", "astronaut")  # a cat's face for the paper's dog's face
N_DISPLAY_MASKED = 3
MULTIDIGIT = "multidigit"  # MultiDigits canvases (for an encoder trained on them), digit boxes as the mask
MULTIDIGIT_COUNT = 4
INK = 0.5  # a MultiDigits pixel above this is digit ink (the mask of the multidigit set)
MASKED = "masked"  # data.images: train on masked-object canvases of the first scored set's fill
# The views of the retrieval task, the same for every encoder of a grid (trained by any method or not): SimCLR's
# crops and colour distortion as the masked-canvas presets train with.
RETRIEVAL_VIEWS = AugmentConfig(crop_min_scale=0.25, color_strength=0.5)


@dataclass(frozen=True)
class KMeansData(ImageData):
    """images / image_size / n_train: what a ``trained`` encoder trains on (``ImageData``; ``masked``: canvases
    of the first scored set's fill at ``image_size`` px, on the photographs' train region with MNIST training
    digits, their objects scaled with the canvas; ``n_test`` held-out ones for the probe); canvas_size: the
    side of the clustered images; objects: the sets of masked images scored, ``+``-separated (fills of
    ``datasets/masked_objects.py``, or ``multidigit``: MultiDigits canvases with four ``object_size`` digits,
    their ink as the mask), ``n_masked`` images each; the first set's images are the ones shown."""

    images: str = setting(PHOTOS, OneOf((PHOTOS, MASKED, *TORCHVISION_SOURCES), prefixes=("folder:",)))
    image_size: int = setting(64, Interval(8, 512))
    n_train: int = setting(5000, Interval(0, 10**7))
    canvas_size: int = setting(128, Interval(16, 1024))
    objects: str = setting("texture+matched", NameList((*OBJECT_FILLS, MULTIDIGIT)))
    object_size: int = setting(80, Interval(4, 1024))
    n_masked: int = setting(64, Interval(1, 100000))

    def cross_problem(self) -> str | None:
        if self.object_size > self.canvas_size:
            return f"data.object_size={self.object_size} must be <= data.canvas_size={self.canvas_size}"
        if self.images == MASKED and self.objects.split("+")[0] == MULTIDIGIT:
            return f"data.images={MASKED} trains on masked photographs; the first of data.objects must be a fill"
        return super().cross_problem()

    @property
    def training_object_size(self) -> int:
        """The object side on ``masked`` training canvases: ``object_size`` scaled from the canvas to them."""
        return max(2, round(self.object_size * self.image_size / self.canvas_size))


@dataclass(frozen=True)
class KMeansConfig:
    """encoder: trained | file:<path> | torchvision:<weights name>; label: its name in figures (default: the
    method, or the file name); blocks / ks: block groups and cluster counts, ``+``-separated; normalize:
    L2-normalize each location's features (cluster by direction); n_init: k-means restarts per image;
    exclude_border: leave the outer ring of cells of the coarsest block's map (where its convolutions read
    the zero padding) out of every map and mask."""

    encoder: str = setting(TRAINED, OneOf((TRAINED,), prefixes=WEIGHTS_PREFIXES))
    label: str = ""
    blocks: str = setting("2+3+4", IntList(BLOCKS[0], BLOCKS[-1]))
    ks: str = setting("2+4+6+8", IntList(2, 64))
    normalize: bool = True
    n_init: int = setting(3, Interval(1, 100))
    exclude_border: bool = True


@dataclass(frozen=True)
class KMeansRun(ImageRun):
    data: KMeansData = field(default_factory=KMeansData)
    kmeans: KMeansConfig = field(default_factory=KMeansConfig)

    @property
    def trains_encoder(self) -> bool:
        return self.kmeans.encoder == TRAINED


MULTIDIGIT_ENCODERS = "scratch/multidigit_count/quick/runs"  # where --keep-encoders --out scratch puts them
# The multidigit_count quick runs whose kept encoders the ``multidigit`` preset clusters (4 digits, random
# placement, the 84 px canvas), and their run ids on full MNIST (a test checks them against that grid).
MULTIDIGIT_ENCODER_RUNS = (
    "method.name=simclr,supervised",
    "data.n_digits=4",
    "data.placement=random",
    "data.canvas_size=84",
)
MULTIDIGIT_ENCODER_IDS = {"SimCLR": "cc9f5c293b45", "supervised": "7fdc52aef8df"}
TRAINED_VARIANTS = tuple({"method.name": m} for m in ("simclr", "supervised", "random"))
# Encoders trained on canvases of the kind that is scored (``masked``: a digit-shaped patch of another
# photograph on a photograph), at half the scored canvas: with a stride-1 stem, 64 px training canvases keep
# the cost of the old photo crops, and SimCLR's crops (down to a quarter of the area) already show objects at
# the 2x scale of the 128 px scored canvases, whose block-4 maps are 16 x 16 (14 x 14 inside the padding ring).
# The training fill is ``texture``, the one on which a supervised ResNet learns the silhouette's digit at all
# (measured: results/kmeans_features/README.md, "Measurements behind the presets"); ``CPU_LEVERS`` pay for the
# steps where the CPU has AMX.
MASKED_CANVASES = {
    **QUICK_RESNET,
    "model.stem_stride": 1,
    "data.images": MASKED,
    "data.objects": "texture+matched",
    "data.image_size": 64,
    "data.canvas_size": 128,
    "data.object_size": 80,
    "loss.temperature": 0.2,
    **CPU_LEVERS,
    "augment.crop_min_scale": RETRIEVAL_VIEWS.crop_min_scale,
    "augment.color_strength": RETRIEVAL_VIEWS.color_strength,
}
PRESETS = {
    "smoke": Preset(
        base={
            **SMOKE_RESNET,
            "model.stem_stride": 1,
            "data.images": MASKED,
            "data.objects": "matched+texture",
            "data.image_size": 32,
            "data.n_train": 160,
            "data.n_test": 60,
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
        base={**MASKED_CANVASES, "data.n_train": 3000, "data.n_test": 1000, "data.n_masked": 48, "optim.epochs": 30},
        variants=TRAINED_VARIANTS,
        note="2-core CPU, about 9 min: ResNet-18 w8 (stride-1 stem) trained on 3k 64 px masked-object canvases "
        "for 30 epochs (705 steps), maps and scores on 48 canvases of 128 px",
    ),
    "cpu": Preset(
        base={**MASKED_CANVASES, "data.n_train": 20000, "data.n_test": 2000, "data.n_masked": 96, "optim.epochs": 24},
        variants=TRAINED_VARIANTS,
        note="2-core CPU, about 42 min: ResNet-18 w8 (stride-1 stem) trained on 20k 64 px masked-object canvases "
        "for 24 epochs (3,750 steps), maps and scores on 96 canvases of 128 px",
    ),
    "photos": Preset(
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
        "photographs (8 x 8 block-4 maps on 128 px images; not committed: colour tells these classes apart)",
    ),
    "multidigit": Preset(
        base={
            "data.objects": MULTIDIGIT,
            "data.canvas_size": 112,
            "data.object_size": 28,
            "data.n_masked": 64,
        },
        variants=(
            *(
                {"kmeans.encoder": f"file:{MULTIDIGIT_ENCODERS}/{run}.encoder.pt", "kmeans.label": label}
                for label, run in MULTIDIGIT_ENCODER_IDS.items()
            ),
            # the gates' reference: the same ResNet-18 w8 (stride-2 stem), untrained, reading RGB canvases
            {"method.name": "random", "model.width": 8, "model.stem_stride": 2, "kmeans.label": "untrained"},
        ),
        note="multidigit_count quick encoders (4 digits, random placement, the 84 px canvas) on MultiDigits canvases, "
        "112 px, 28 px digits; first keep them: run_experiment.py multidigit_count --preset quick --set "
        f"{' '.join(MULTIDIGIT_ENCODER_RUNS)} --keep-encoders --out scratch",
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
            # the gates' reference: a ResNet-50 left untrained, its stem down-sampling 4x as torchvision's does
            {
                "method.name": "random",
                "model.encoder": "resnet50",
                "model.stem_stride": 4,
                "kmeans.label": "untrained ResNet-50",
            },
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
    run=Lazy("experiments.runs.kmeans_features", "run"),
    data_source=Lazy("experiments.runs.kmeans_features", "data_source"),
    figure=Lazy("analysis.kmeans_features", "figure"),
    claim_check=Lazy("analysis.kmeans_features", "claim_check"),
)
