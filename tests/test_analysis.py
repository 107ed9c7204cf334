"""Claim checks on hand-made result tables: the verdict follows the numbers, partial grids do not crash."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import digit_on_image, multidigit_count, multidigit_size, randbit
from analysis.report import REPORT_LOCK


def _multidigit_frame(simclr_small: dict[int, float], supervised_sizes: tuple[int, ...]) -> pd.DataFrame:
    rows = [
        {"method.name": "simclr", "loss.temperature": 0.2, "data.large_size": size, "acc_small": acc, "acc_large": 0.9}
        for size, acc in simclr_small.items()
    ]
    rows += [
        {
            "method.name": "supervised",
            "loss.temperature": None,
            "data.large_size": size,
            "acc_small": 0.95,
            "acc_large": 0.95,
        }
        for size in supervised_sizes
    ]
    return pd.DataFrame(rows)


def test_multidigit_claim_follows_the_small_digit_drop():
    falling = multidigit_size.claim_check(_multidigit_frame({14: 0.8, 28: 0.5, 42: 0.3}, (14, 28, 42)))
    flat = multidigit_size.claim_check(_multidigit_frame({14: 0.8, 28: 0.8, 42: 0.79}, (14, 28, 42)))
    assert falling.supported and not flat.supported
    assert falling.numbers["SimCLR tau=0.2 small-digit acc @ second=42px"] == 0.3


def test_multidigit_claim_uses_sizes_both_methods_have():
    check = multidigit_size.claim_check(_multidigit_frame({14: 0.8, 28: 0.5, 42: 0.3}, (14, 28)))
    assert "second=28px" in " ".join(check.numbers) and "second=42px" not in " ".join(check.numbers)
    lonely = multidigit_size.claim_check(_multidigit_frame({14: 0.8, 28: 0.5}, (42,)))
    assert not lonely.supported and "two or more" in lonely.summary


def test_randbit_claim_needs_a_collapse_at_ten_bits_or_more():
    def frame(acc_at_most_bits: float, most_bits: int) -> pd.DataFrame:
        return pd.DataFrame(
            {"data.n_bits": [0, most_bits], "acc_linear": [0.9, acc_at_most_bits], "chance": [0.1, 0.1]}
        )

    assert randbit.claim_check(frame(0.12, 20)).supported
    assert not randbit.claim_check(frame(0.85, 20)).supported
    assert not randbit.claim_check(frame(0.12, 5)).supported


def test_multidigit_claim_says_when_simclr_barely_beats_a_random_network():
    frame = _multidigit_frame({14: 0.26, 42: 0.20}, (14, 42))
    random = pd.DataFrame(
        [{"method.name": "random", "loss.temperature": None, "data.large_size": 14, "acc_small": 0.25}]
    )
    weak = multidigit_size.claim_check(pd.concat([frame, random]))
    assert weak.numbers["untrained encoder acc @ second=14px (small digit)"] == 0.25
    (gate,) = weak.failed_gates
    assert gate.name == "SimCLR tau=0.2 small-digit acc @ second=14px - untrained encoder"
    assert gate.value == pytest.approx(0.01) and gate.threshold == 0.02


def test_claims_without_a_learned_baseline_are_inconclusive():
    at_chance = pd.DataFrame({"data.n_bits": [0, 20], "acc_linear": [0.15, 0.1], "chance": [0.1, 0.1]})
    check = randbit.claim_check(at_chance)
    assert check.verdict == "INCONCLUSIVE" and check.supported is True  # the numbers alone would support it
    assert "[FAIL] acc_linear @ 0 bits - chance 0.050, needs >= 0.500" in check.text()
    frame = _multidigit_frame({14: 0.26, 42: 0.10}, (14, 42))
    random = pd.DataFrame([{"method.name": "random", "data.large_size": 14, "acc_small": 0.25}])
    assert multidigit_size.claim_check(pd.concat([frame, random])).verdict == "INCONCLUSIVE"


def _count_frame(simclr: dict[tuple[str, int], float], supervised: float = 0.9, random: float = 0.3) -> pd.DataFrame:
    rows = [
        {"data.placement": p, "data.n_digits": n, "method.name": "simclr", "acc_digit": a}
        for (p, n), a in simclr.items()
    ]
    for placement, count in simclr:
        rows.append(
            {"data.placement": placement, "data.n_digits": count, "method.name": "supervised", "acc_digit": supervised}
        )
        rows.append({"data.placement": placement, "data.n_digits": count, "method.name": "random", "acc_digit": random})
    return pd.DataFrame(rows).assign(**{"data.canvas_size": 84, "data.digit_size": 28, "chance": 0.1})


def test_multidigit_count_claim_compares_at_the_paper_density():
    paper_like = {("random", 1): 0.88, ("random", 4): 0.87, ("random", 9): 0.6}
    paper_like |= {("in_grid", 1): 0.88, ("in_grid", 4): 0.88, ("in_grid", 9): 0.85}
    check = multidigit_count.claim_check(_count_frame(paper_like))
    assert check.supported is True and check.numbers["in-grid cells"] == 9
    assert check.numbers["SimCLR in-grid - random @ 9 digits"] == pytest.approx(0.25)
    far_below = {key: acc - 0.2 for key, acc in paper_like.items()}
    assert multidigit_count.claim_check(_count_frame(far_below)).supported is False
    same = {key: 0.88 for key in paper_like}
    assert multidigit_count.claim_check(_count_frame(same)).supported is False
    too_few = {key: acc for key, acc in paper_like.items() if key[1] < 9}
    (sparse,) = multidigit_count.claim_check(_count_frame(too_few)).failed_gates
    assert sparse.name == "largest digit count / in-grid cells" and sparse.value == pytest.approx(4 / 9)
    untrained = multidigit_count.claim_check(_count_frame(paper_like, random=0.87))
    assert untrained.verdict == "INCONCLUSIVE"
    assert [g.name for g in untrained.failed_gates] == [
        "in_grid SimCLR acc @ 1 digits - untrained encoder",
        "random SimCLR acc @ 1 digits - untrained encoder",
    ]
    undertrained = multidigit_count.claim_check(_count_frame(paper_like, supervised=0.52))
    assert "in_grid supervised acc @ 1 digits 0.520, needs >= 0.900: too little training" in undertrained.reason


def _digit_on_image_frame(simclr_object: list[float], simclr_digit: list[float], supervised: list[float]):
    rows = []
    for method, objects, digits in (("simclr", simclr_object, simclr_digit), ("supervised", supervised, [0.2, 0.2])):
        rows += [
            {"method.name": method, "data.n_unique": n, "acc_object": o, "acc_digit": d}
            for n, o, d in zip((1, 10000), objects, digits)
        ]
    rows.append({"method.name": "random", "data.n_unique": 1, "acc_object": 0.3, "acc_digit": 0.15})
    return pd.DataFrame(rows).assign(chance_object=0.1, chance_digit=0.1)


def test_digit_on_image_claim_needs_the_trade_off_and_a_steady_supervised_line():
    assert digit_on_image.claim_check(_digit_on_image_frame([0.8, 0.5], [0.2, 0.9], [0.9, 0.88])).supported is True
    assert digit_on_image.claim_check(_digit_on_image_frame([0.8, 0.79], [0.2, 0.9], [0.9, 0.9])).supported is False
    assert digit_on_image.claim_check(_digit_on_image_frame([0.8, 0.5], [0.2, 0.9], [0.9, 0.4])).supported is False
    weak = digit_on_image.claim_check(_digit_on_image_frame([0.31, 0.2], [0.2, 0.9], [0.9, 0.9]))
    assert weak.verdict == "INCONCLUSIVE" and weak.failed_gates[0].name == "SimCLR object acc @ N=1 - untrained encoder"
    hard_object = digit_on_image.claim_check(_digit_on_image_frame([0.8, 0.5], [0.2, 0.9], [0.5, 0.5]))
    assert hard_object.failed_gates[0].name == "supervised object acc @ N=1"


def test_digit_on_image_gate_needs_the_digit_to_lower_simclrs_loss():
    frame = _digit_on_image_frame([0.8, 0.5], [0.2, 0.9], [0.9, 0.88])
    unused = frame.assign(final_loss=[3.31, 3.386, 0.1, 0.1, None])  # SimCLR's loss at N=1 and N=10000 first
    (gate,) = digit_on_image.claim_check(unused).failed_gates
    assert gate.name == "SimCLR final loss @ N=1 - @ N=10000" and "the digit was not used" in gate.text()
    used = frame.assign(final_loss=[3.31, 2.9, 0.1, 0.1, None])
    assert digit_on_image.claim_check(used).verdict == "SUPPORTED"


def test_figure_footer_keeps_the_dirty_mark_of_a_commit():
    from analysis.plotting import provenance

    frame = pd.DataFrame({"git_commit": ["0123456789abcdef0123+dirty", "fedcba9876543210fedc"], "torch": "2.9"})
    footer = provenance(frame, "quick")
    assert "commit=0123456789ab+dirty,fedcba987654" in footer and "torch=2.9" in footer


def test_report_lists_every_experiment_with_its_verdict_or_not_run(tmp_path):
    from analysis.claims import ClaimCheck
    from analysis.reproduction_report import write_report

    preset_dir = tmp_path / "randbit" / "quick"
    preset_dir.mkdir(parents=True)
    ClaimCheck("bits hide the image", {"acc @ 20 bits": 0.1}, None, "nothing learned").save(preset_dir / "claim.json")
    pd.DataFrame({"torch": ["2.9.0"]}).to_csv(preset_dir / "results.csv", index=False)
    text = write_report(
        tmp_path, {"randbit": "RandBit", "kmeans_features": "k-means"}, tmp_path / "REPORT.md"
    ).read_text()
    assert "| randbit | quick | INCONCLUSIVE | - | 2.9.0 (not the locked" in text
    assert "| kmeans_features | - | NOT RUN | - | - |" in text
    assert "torch 2.9.0" in text and "![randbit quick](randbit/quick/figure.png)" in text


def test_reproduce_ends_with_fresh_verdicts_beside_the_committed_ones(tmp_path):
    from analysis.claims import ClaimCheck
    from analysis.reproduction_report import comparison

    runs = [("fresh", "randbit", "quick", False), ("committed", "randbit", "quick", True)]
    runs += [("committed", "randbit", "colab", True), ("committed", "digit_on_image", "quick", False)]
    for root, experiment, preset, supported in runs:
        preset_dir = tmp_path / root / experiment / preset
        preset_dir.mkdir(parents=True)
        ClaimCheck("c", {}, supported, "s").save(preset_dir / "claim.json")
    titles = {"randbit": "RandBit", "kmeans_features": "k", "digit_on_image": "d"}
    text = comparison(tmp_path / "fresh", tmp_path / "committed", titles)
    assert "| randbit | quick | NOT SUPPORTED (differs) | SUPPORTED |" in text
    assert "| randbit | colab | NOT RUN (not re-run) | SUPPORTED |" in text
    assert text.count("| randbit |") == 2
    assert "| digit_on_image | quick | NOT RUN (not re-run) | NOT SUPPORTED |" in text
    assert text.count("| digit_on_image |") == 1  # no NOT RUN placeholder row beside the committed preset
    assert "| kmeans_features | - | NOT RUN | NOT RUN |" in text


def test_a_grid_that_cannot_back_them_removes_an_earlier_figure_and_claim(tmp_path):
    from analysis.claims import ClaimCheck
    from analysis.report import build_report

    def earlier_outputs():
        (tmp_path / "figure.png").write_bytes(b"an earlier grid's figure")
        ClaimCheck("c", {}, True, "an earlier grid's claim").save(tmp_path / "claim.json")

    def figure(frame, preset, path):
        return path.write_bytes(b"new figure")

    failed = pd.DataFrame({"status": ["failed", "failed"], "x": [1, 2]})
    earlier_outputs()
    assert build_report(failed, "quick", tmp_path, figure, randbit.claim_check, complete=False) is None
    assert not (tmp_path / "figure.png").exists() and not (tmp_path / "claim.json").exists()
    assert pd.read_csv(tmp_path / "results.csv")["status"].tolist() == ["failed", "failed"]
    earlier_outputs()
    partial = pd.DataFrame({"status": ["ok", "failed"], "x": [1, 2]})
    assert build_report(partial, "quick", tmp_path, figure, randbit.claim_check, complete=False) is None
    assert (tmp_path / "figure.png").read_bytes() == b"new figure" and not (tmp_path / "claim.json").exists()
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != REPORT_LOCK]
    assert not left  # no temporary file left


def test_two_reports_of_one_preset_are_written_one_after_the_other(tmp_path):
    """While another process holds the report lock, build_report waits, then writes its whole report."""
    import fcntl
    import threading

    from analysis.report import build_report

    written = []

    def figure(frame, preset, path):
        written.append("figure")
        return path.write_bytes(b"figure")

    finished = pd.DataFrame({"status": ["ok"], "x": [1]})
    with (tmp_path / REPORT_LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another writer (a separate open file: flock blocks even in-process)
        thread = threading.Thread(
            target=build_report, args=(finished, "quick", tmp_path, figure, randbit.claim_check, False)
        )
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive() and written == [] and not (tmp_path / "results.csv").exists()
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(timeout=10)
    assert written == ["figure"] and (tmp_path / "results.csv").exists()


def _randbit_methods_frame(accuracy: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = []
    for name, (at_zero, at_twenty) in accuracy.items():
        method, _, eps = name.partition("+ifm")
        method, _, target = method.partition(":")  # autoencoder:<method.reconstruct>; plain: the balanced one
        for bits, acc in ((0, at_zero), (20, at_twenty)):
            row = {"method.name": method, "data.n_bits": bits, "acc_linear": acc, "chance": 0.1}
            row |= {"method.reconstruct": (target or "balanced") if method == "autoencoder" else None}
            row |= {"loss.ifm_weight": 1.0 if eps else (0.0 if method == "simclr" else None)}
            row |= {"loss.ifm_epsilon": float(eps) if eps else None}
            rows.append(row)
    return pd.DataFrame(rows)


def test_randbit_methods_claim_needs_collapse_and_a_robust_autoencoder():
    from analysis.randbit_methods import claim_check

    base = {"simclr": (0.9, 0.12), "byol": (0.9, 0.1), "moco": (0.85, 0.15), "supervised": (0.95, 0.95)}
    supported = claim_check(_randbit_methods_frame({**base, "autoencoder": (0.8, 0.6), "simclr+ifm0.1": (0.9, 0.3)}))
    assert supported.supported is True
    assert supported.numbers["simclr+ifm0.1 kept fraction @ 20 bits"] == pytest.approx(0.25)
    assert "SimCLR + IFM, eps 0.1 keeps 25%" in supported.summary
    weak_autoencoder = claim_check(_randbit_methods_frame({**base, "autoencoder": (0.8, 0.2)}))
    assert weak_autoencoder.supported is False
    # the image-only autoencoder (it never has to encode the bits) is reported, never judged
    image_only = claim_check(
        _randbit_methods_frame({**base, "autoencoder": (0.8, 0.2), "autoencoder:image": (0.8, 0.8)})
    )
    assert image_only.supported is False and image_only.numbers["autoencoder (image only) kept fraction @ 20 bits"] == 1
    assert claim_check(_randbit_methods_frame({**base, "autoencoder:image": (0.8, 0.8)})).verdict == "INCONCLUSIVE"
    nothing_learned = claim_check(_randbit_methods_frame({**base, "autoencoder": (0.15, 0.1)}))
    assert nothing_learned.verdict == "INCONCLUSIVE"
    assert [g.name for g in nothing_learned.failed_gates] == ["autoencoder (balanced) acc @ 0 bits - chance"]


def test_digit_on_image_is_judged_at_the_longest_training_and_shorter_ones_are_the_scale_study():
    short = _digit_on_image_frame([0.8, 0.79], [0.2, 0.21], [0.9, 0.9]).assign(optim_epochs=4)
    long = _digit_on_image_frame([0.8, 0.5], [0.2, 0.9], [0.9, 0.88]).assign(optim_epochs=16)
    frame = pd.concat([short, long]).rename(columns={"optim_epochs": "optim.epochs"})
    frame["final_loss"] = [3.3, 3.3, 0.1, 0.1, None] + [3.0, 2.5, 0.1, 0.1, None]
    frame.loc[frame["method.name"] == "random", "optim.epochs"] = None  # the floors do not train
    check = digit_on_image.claim_check(frame)
    assert check.verdict == "SUPPORTED" and check.numbers["SimCLR object drop"] == pytest.approx(0.3)
    assert check.numbers["scale: object drop @ 4 epochs"] == pytest.approx(0.01)
    assert check.numbers["scale: digit rise @ 16 epochs"] == pytest.approx(0.7)
    assert check.numbers["scale: loss drop @ 16 epochs"] == pytest.approx(0.5)


def test_digit_on_image_scale_study_needs_the_digit_used_at_the_longest_training():
    rows = []
    for epochs, drop, rise, loss in ((4, 0.01, 0.01, 0.0), (16, 0.1, 0.2, 0.3)):
        rows += [
            {"method.name": "simclr", "optim.epochs": epochs, "data.n_unique": 1, "acc_object": 0.8,
             "acc_digit": 0.2, "final_loss": 3.0},
            {"method.name": "simclr", "optim.epochs": epochs, "data.n_unique": 60000, "acc_object": 0.8 - drop,
             "acc_digit": 0.2 + rise, "final_loss": 3.0 - loss},
        ]  # fmt: skip
    frame = pd.DataFrame(rows)
    assert digit_on_image.scale_claim_check(frame).verdict == "SUPPORTED"
    unused = frame.assign(final_loss=3.0)
    (gate,) = digit_on_image.scale_claim_check(unused).failed_gates
    assert gate.name == "SimCLR final loss drop @ 16 epochs"
    short_only = frame[frame["optim.epochs"] == 4]
    assert digit_on_image.scale_claim_check(short_only).verdict == "INCONCLUSIVE"
