"""DigitOnImageNet (paper Sec. 4, feature suppression): does an easy digit crowd out the object?

Each training image carries one MNIST digit from a pool of the first ``data.n_unique`` training digits,
pasted nine times (3 x 3 pattern); with ``data.redraw`` a fresh digit is drawn every time an image is
loaded, as the official notebook does. Pretrain (SimCLR, supervised on the object label, or untrained),
then two linear probes on one feature pass of frozen features: the image's object class and the digit's
class. The probe images carry digits from all of MNIST (train split on train images, test split on test
images), so every digit class is there to be read whatever the pool. Claim: as N grows, SimCLR's digit
accuracy rises and its object accuracy falls; supervised object accuracy is unaffected. SimCLR with implicit
feature modification (IFM, ``loss.ifm_weight=1``, ``loss.ifm_epsilon=0.1``) runs beside it as a proposed remedy.

Objects: Fashion-MNIST by default (``data.images=fashion_mnist``: ten clothing classes, 60k / 10k images,
grayscale, upscaled to ``data.image_size``), a real object task that colour cannot solve. Also:
``folder:<path>`` (ImageNet, Imagenette, tf_flowers as an ImageFolder, the paper's setting), ``cifar10``,
``stl10``, and ``photos``: the ten photographs shipped with scikit-image and scikit-learn, one class each,
random crops as samples (train crops from the left 70% of each photograph, test crops from the right 30%),
whose colour alone tells the classes apart (the smoke preset's offline set).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.names import COMPOSITE_MODES, FASHION_MNIST, PHOTOS, TORCHVISION_SOURCES, largest_digit
from experiments.image_data import ImageData, ImageRun
from experiments.scales import CPU_LEVERS, FLOOR_VARIANTS, QUICK_RESNET, SMOKE_RESNET
from sweeps.spec import Experiment, Lazy, Preset
from training.rules import Interval, OneOf, setting

MNIST_TRAIN_DIGITS = 60000
# SimCLR, SimCLR with implicit feature modification (IFM, Robinson et al. 2021, a proposed remedy) and
# supervised training on the object label; the presets add the floors.
WITH_IFM = (
    {"method.name": "simclr"},
    {"method.name": "simclr", "loss.ifm_weight": 1.0, "loss.ifm_epsilon": 0.1},
    {"method.name": "supervised"},
)
# Fashion-MNIST items as the objects (a real 10-class task that colour cannot solve), upscaled to 56 px so
# that the 3 x 3 pattern holds 14 px digits (1/4 of the side; the paper's 28 px on 224 px is 1/8, which at
# this canvas would be 7 px strokes); the paper's augmentation (crops of 8-100% of the area, colour 1.0:
# brightness and contrast on grayscale).
FASHION_QUICK = {
    **QUICK_RESNET,
    "data.images": FASHION_MNIST,
    "data.image_size": 56,
    "data.digit_size": 14,
    "data.n_train": 10000,
    "data.n_test": 2000,
    "augment.crop_min_scale": 0.08,
    "augment.color_strength": 1.0,
    "optim.epochs": 4,
    "loss.temperature": 0.2,
}


@dataclass(frozen=True)
class DigitOnImageData(ImageData):
    """Natural images (``ImageData``, not MNIST) with the digit overlay: n_unique is the digit pool N."""

    images: str = setting(FASHION_MNIST, OneOf((FASHION_MNIST, PHOTOS, *TORCHVISION_SOURCES), prefixes=("folder:",)))
    image_size: int = setting(64, Interval(8, 1024))
    n_train: int = setting(5000, Interval(0, 10**7))
    n_test: int = setting(2000, Interval(0, 10**7))
    digit_size: int = setting(16, Interval(2, 1024))
    n_unique: int = setting(1000, Interval(1, MNIST_TRAIN_DIGITS))
    redraw: bool = True
    composite: str = setting("max", OneOf(COMPOSITE_MODES))

    def cross_problem(self) -> str | None:
        fits = largest_digit(self.image_size)
        if self.digit_size > fits:
            return (
                f"data.digit_size={self.digit_size} does not fit the 3 x 3 digit pattern on a {self.image_size} px "
                f"image (copies start at 15%, 45% and 75% of the side); use data.digit_size <= {fits} or a larger "
                f"data.image_size"
            )
        return super().cross_problem()


@dataclass(frozen=True)
class DigitOnImageRun(ImageRun):
    data: DigitOnImageData = field(default_factory=DigitOnImageData)


PRESETS = {
    "smoke": Preset(
        base={
            **SMOKE_RESNET,
            "data.images": PHOTOS,  # shipped with the packages: the smoke run needs no data download
            "data.image_size": 32,
            "data.digit_size": 8,
            "data.n_train": 160,
            "data.n_test": 100,
        },
        sweep={"data.n_unique": (1, 100)},
        variants=(*WITH_IFM, *FLOOR_VARIANTS),
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base=FASHION_QUICK,
        sweep={"data.n_unique": (1, 60000)},
        variants=(*WITH_IFM, *FLOOR_VARIANTS),
        note="2-core CPU: Fashion-MNIST items as objects (56 px, 14 px digits), ResNet-18 width 8 with a stride-2 "
        "stem, 10k images, 4 epochs, the paper's augmentation; SimCLR, SimCLR + IFM (eps 0.1), supervised, the "
        "floors; N = 1 and 60k (about 6 min idle)",
    ),
    "scale": Preset(
        base=FASHION_QUICK,
        sweep={"optim.epochs": (4, 8, 16), "data.n_unique": (1, 60000)},
        claim_check=Lazy("analysis.digit_on_image", "scale_claim_check"),
        note="the scale study: quick's SimCLR at N = 1 and 60k trained 4, 8 and 16 epochs (about 20 min idle)",
    ),
    "cpu": Preset(
        base={**FASHION_QUICK, **CPU_LEVERS, "data.n_train": 20000, "data.n_test": 5000, "optim.epochs": 12},
        sweep={"data.n_unique": (1, 60000)},
        variants=(*WITH_IFM, {**WITH_IFM[1], "loss.ifm_epsilon": 0.5}, *FLOOR_VARIANTS),
        note="2-core CPU: quick on 20k Fashion-MNIST images for 12 epochs; SimCLR, SimCLR + IFM (eps 0.1 and 0.5), "
        "supervised, the floors; N = 1 and 60k (about 26 min idle)",
    ),
    "paper": Preset(
        base={
            "optim.precision": "auto",
            "data.images": "folder:data/imagenet",
            "data.image_size": 224,
            "data.digit_size": 28,
            "data.n_train": 0,
            "data.n_test": 0,
            "model.encoder": "resnet50",
            "model.width": 64,
            "model.stem_stride": 4,
            "model.head_hidden": 2048,
            "augment.flip": True,
            "augment.crop_min_scale": 0.08,
            "augment.color_strength": 1.0,
            "augment.blur": True,
            "optim.epochs": 100,
            "optim.batch_size": 1024,
            "optim.optimizer": "lars",
            "optim.lr": 1.2,
            "optim.weight_decay": 1e-6,
            "optim.warmup_epochs": 10,
            "loss.temperature": 0.2,
        },
        sweep={"data.n_unique": (1, 10, 100, 1000, 10000, 60000)},
        variants=(*WITH_IFM, *FLOOR_VARIANTS),
        note="paper scale: ImageNet as an ImageFolder under data/imagenet (train/ and val/), 224 px, ResNet-50; "
        "for GPUs",
    ),
}

EXPERIMENT = Experiment(
    name="digit_on_image",
    figure_title="Sec. 4, DigitOnImageNet (object vs digit features as the digit pool grows)",
    config_cls=DigitOnImageRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.digit_on_image", "run"),
    data_source=Lazy("experiments.runs.digit_on_image", "data_source"),
    figure=Lazy("analysis.digit_on_image", "figure"),
    claim_check=Lazy("analysis.digit_on_image", "claim_check"),
)
