"""The options that make the randbit ``colab`` preset the official RandBits notebook: TensorFlow's crop
sampler, unshuffled data order, the online probe on the first view (and Keras' init), L2 on kernels only,
Keras BatchNorm and Glorot initialization, Adam's epsilon; and the presets built from them."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
from torch import nn

from analysis import randbit as randbit_analysis
from analysis import randbit_ablation
from experiments.randbit import NOTEBOOK_DIFFERENCES, PRESETS
from experiments.registry import EXPERIMENTS
from sweeps.config import flat_values
from sweeps.grid import build_grid
from sweeps.spec import Lazy
from training.augment import _tf_boxes, _torchvision_boxes
from training.encoders import ConvN
from training.initialization import configure
from training.optim import OptimConfig, make_optimizer, parameter_groups


def _pixels(boxes: tuple[torch.Tensor, ...], side: int) -> tuple[torch.Tensor, ...]:
    width, height, center_x, center_y = (b.double() for b in boxes)
    x = ((center_x + 1) * side - width * side) / 2
    y = ((center_y + 1) * side - height * side) / 2
    return width * side, height * side, x, y


def test_tf_crops_are_whole_pixel_boxes_in_the_area_and_ratio_ranges_and_miss_the_far_edges():
    like = torch.zeros(1)
    width, height, x, y = _pixels(_tf_boxes(4000, (28, 28), (0.5, 1.0), (3 / 4, 4 / 3), like, None), 28)
    for value in (width, height, x, y):
        torch.testing.assert_close(value, value.round(), atol=1e-4, rtol=0)  # float32 boxes
    area = width * height / 28**2
    assert area.min() >= 0.5 and area.max() <= 1.0
    ratio = width / height
    assert ratio.min() > 0.7 and ratio.max() < 1.4  # 3/4 to 4/3 up to the rounding of whole pixels
    partial = width < 28
    assert (x[partial] + width[partial] < 28).all()  # TF's offset is uniform in [0, side - size)
    # TF draws the height uniformly, torchvision the area: TF's crops are smaller on average
    tv_width, tv_height, _, _ = _torchvision_boxes(4000, (0.5, 1.0), (3 / 4, 4 / 3), like, None)
    assert area.mean() < (tv_width * tv_height).mean() - 0.03


def test_a_crop_no_draw_can_satisfy_is_the_whole_image():
    boxes = _pixels(_tf_boxes(5, (4, 4), (0.95, 0.97), (3 / 4, 4 / 3), torch.zeros(1), None), 4)
    assert all((value == expected).all() for value, expected in zip(boxes, (4, 4, 0, 0)))


def test_kernels_only_decay_is_keras_l2_on_conv_and_linear_weights():
    model, probe = nn.Sequential(ConvN(1, 28), nn.Linear(128, 4)), nn.Linear(128, 10)
    learner = nn.ModuleDict({"model": model, "probe": probe})
    config = OptimConfig(weight_decay=1e-4, decay="kernels", adam_eps=1e-7)
    decayed, plain = parameter_groups(learner, config, exempt=probe)
    kernels = {id(m.weight) for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)}
    assert {id(p) for p in decayed["params"]} == kernels and decayed["weight_decay"] == 2e-4
    assert {id(p) for p in plain["params"]} == {id(p) for p in learner.parameters()} - kernels
    optimizer = make_optimizer([decayed, plain], config)
    assert optimizer.param_groups[0]["eps"] == 1e-7 and optimizer.param_groups[1]["weight_decay"] == 0.0
    # the gradient Adam sees equals that of loss + 1e-4 * ||w||^2 (Keras' kernel_regularizer=l2(1e-4))
    weight = torch.randn(3, 2, requires_grad=True)
    (1e-4 * weight.square().sum()).backward()
    torch.testing.assert_close(weight.grad, decayed["weight_decay"] * weight.detach())
    assert len(parameter_groups(learner, OptimConfig())) == 1  # the default: one group, as before


def test_keras_batchnorm_and_glorot_init():
    torch.manual_seed(0)
    net = configure(ConvN(1, 28), "glorot", 0.01, 1e-3)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)]
    assert norms and all(m.momentum == 0.01 and m.eps == 1e-3 for m in norms)
    conv = net.features[0]
    bound = (6 / (conv.in_channels * 9 + conv.out_channels * 9)) ** 0.5
    assert conv.weight.abs().max() <= bound and conv.weight.abs().max() > 0.9 * bound


def test_unshuffled_order_and_the_notebooks_online_probe_change_training():
    from experiments.randbit import RandBitRun
    from sweeps.config import compose
    from training.data import TrainImages
    from training.pretrain import pretrain

    images, labels = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.arange(64) % 4
    base = compose(RandBitRun, {**PRESETS["smoke"].base, "method.online_probe": True, "optim.batch_size": 16})
    seen = []

    def record(config):
        result = pretrain(config, TrainImages(images), None, torch.device("cpu"), online_labels=labels, progress=False)
        seen.append(result.history)

    for change in ({}, {"shuffle": False}):
        record(dataclasses.replace(base, optim=dataclasses.replace(base.optim, **change)))
    for change in ({"online_views": "first"}, {"online_init": "glorot"}):
        record(dataclasses.replace(base, method=dataclasses.replace(base.method, **change)))
    assert seen[0] != seen[1] and seen[0] != seen[2] and seen[0] != seen[3]


def test_colab_sets_every_notebook_difference_and_the_ablation_reverts_one_at_a_time():
    colab = build_grid(EXPERIMENTS["randbit"], "colab", {})[0].config
    assert not colab.optim.shuffle and colab.optim.decay == "kernels" and colab.augment.crop == "tf"
    assert colab.method.online_views == "first" and colab.model.init == "glorot" and colab.loss.scaling == 2.0
    assert colab.method.online_init == "glorot" and not colab.model.head_bias
    ablation = build_grid(EXPERIMENTS["randbit"], "colab_ablation", {})
    assert len(ablation) == 2 * (1 + len(NOTEBOOK_DIFFERENCES))
    assert len({run.config for run in ablation}) == len(ablation)


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ("optim.adam_eps=1e-6", "optim.optimizer=sgd is not Adam"),
        ("method.online_views=first", "method.online_probe=false"),
        ("method.online_init=glorot", "method.online_probe=false"),
    ],
)
def test_options_the_other_values_switch_off_are_refused_with_the_reason(override, reason, tmp_path, capsys):
    import run_experiment

    args = ["randbit", "--preset", "smoke", "--set", override, "optim.optimizer=sgd", "--out", str(tmp_path)]
    assert run_experiment.main(args) == 2
    assert reason in capsys.readouterr().err


def _ablation_frame(faithful: dict[int, float], shifts: dict[str, float]) -> pd.DataFrame:
    """Runs of the ablation grid's settings with made-up online accuracies: faithful + each named shift."""
    grid = build_grid(EXPERIMENTS["randbit"], "colab_ablation", {})
    rows = []
    for run in grid:
        settings = {key: value for key, value in flat_values(run.config).items()}
        reverted = [
            n for n, (notebook, _) in NOTEBOOK_DIFFERENCES.items() if any(settings[k] != v for k, v in notebook.items())
        ]
        bits = run.config.data.n_bits
        shift = shifts.get(reverted[0], 0.0) if reverted else 0.0
        rows.append({**settings, "seed": 0, "acc_online": faithful[bits] + shift, "chance": 0.1})
    return pd.DataFrame(rows)


def test_the_ablation_names_each_reverted_difference_and_checks_the_notebook_numbers(tmp_path):
    figure, claim_check = EXPERIMENTS["randbit"].analysis("colab_ablation")
    near = _ablation_frame({5: 0.63, 10: 0.2}, {"TF crop sampler": 0.05, "Glorot init": -0.03})
    accuracy = randbit_ablation.table(near, NOTEBOOK_DIFFERENCES)
    assert list(accuracy.index) == [randbit_ablation.FAITHFUL, *NOTEBOOK_DIFFERENCES]
    check = claim_check(near)
    assert check.supported is True
    assert check.numbers["shift @ 10 bits, TF crop sampler reverted"] == pytest.approx(0.05)
    assert check.numbers["shift @ 5 bits, Glorot init reverted"] == pytest.approx(-0.03)
    assert "TF crop sampler: +0.050 @ 5, +0.050 @ 10; Glorot init" in check.summary
    assert claim_check(_ablation_frame({5: 0.68, 10: 0.2}, {})).supported is False  # 0.068 off at 5 bits
    assert figure(near, "colab_ablation", tmp_path / "figure.png").stat().st_size > 0


def test_presets_without_their_own_analysis_use_the_experiments():
    randbit = EXPERIMENTS["randbit"]
    assert randbit.analysis("quick") == (randbit.figure, randbit.claim_check)
    assert randbit.analysis("colab") == (
        Lazy("analysis.randbit", "colab_figure"),
        Lazy("analysis.randbit", "colab_claim_check"),
    )


def test_randbit_reports_the_seed_spread_and_draws_error_bars(tmp_path):
    rows = [
        {"data.n_bits": bits, "loss.temperature": 0.1, "seed": seed, "acc_online": acc, "chance": 0.1}
        for bits, accs in {0: (0.9, 0.92, 0.94), 10: (0.2, 0.3, 0.25)}.items()
        for seed, acc in enumerate(accs)
    ]
    frame = pd.DataFrame(rows).assign(
        **{"data.images": "mnist", "model.encoder": "convn", "method.name": "simclr", "data_source": "mnist-full"}
    )
    check = randbit_analysis.claim_check(frame)
    spread = next(gate for gate in check.gates if gate.name == "largest seed std")
    assert spread.value == pytest.approx(0.05) and spread.at_most
    assert randbit_analysis.colab_figure(frame, "colab", tmp_path / "figure.png").stat().st_size > 0
    against_notebook = randbit_analysis.colab_claim_check(frame).numbers  # printed: 0.892 @ 0, 0.187 @ 10 bits
    assert against_notebook["largest |mean acc_online - notebook| (tau 0.1, 10 bits)"] == pytest.approx(0.063)
    assert against_notebook["mean (acc_online - notebook) over cells"] == pytest.approx((0.028 + 0.063) / 2)
