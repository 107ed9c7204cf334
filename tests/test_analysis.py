"""Claim checks on hand-made result tables: the verdict follows the numbers, partial grids do not crash."""

from __future__ import annotations

import pandas as pd

from analysis import multidigit_size, randbit


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
    frame = _multidigit_frame({14: 0.30, 42: 0.27}, (14, 42))
    random = pd.DataFrame(
        [{"method.name": "random", "loss.temperature": None, "data.large_size": 14, "acc_small": 0.25}]
    )
    weak = multidigit_size.claim_check(pd.concat([frame, random]))
    assert weak.numbers["random small-digit acc @ second=14px"] == 0.25
    assert "+0.050 above a random network, too little learned" in weak.summary
