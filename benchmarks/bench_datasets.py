"""Images per second of each generator at paper sizes (vectorized composition on the CPU).

python benchmarks/bench_datasets.py [--data-root DIR] [--n 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import (  # noqa: E402
    LabelledImages,
    load_mnist,
    load_natural_images,
    make_digit_on_image,
    make_multidigit,
    make_randbit,
    make_two_digit_sizes,
)


def rate(fn, n: int, repeats: int = 3) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return n * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    digits, _ = load_mnist(args.data_root)
    photos = load_natural_images("photos", True, 224, photos_per_class=args.n // 10)
    base = LabelledImages(digits.images[: args.n], {}, digits.source)
    n = args.n
    cases = {
        "multidigit random, 112 px, 16 digits": lambda: make_multidigit(digits, n, 16, placement="random"),
        "multidigit in_grid, 112 px, 16 digits": lambda: make_multidigit(digits, n, 16, placement="in_grid"),
        "multidigit_size, 112 px, 20 + 80 px": lambda: make_two_digit_sizes(digits, n, 20, 80),
        "digit_on_image, 224 px, 9 copies": lambda: make_digit_on_image(photos, digits, 1000),
        "randbit 20 bits, planes appended (28 px)": lambda: make_randbit(base, 20).full(),
    }
    print(f"{'generator':45s} images/s  (n={n}, {digits.source})")
    for name, fn in cases.items():
        print(f"{name:45s} {rate(fn, n):10.0f}")


if __name__ == "__main__":
    main()
