"""Where the time of kmeans_features' clustering goes: one image's k-means per block resolution of the quick
preset (ResNet-18 width 16, stride-2 stem, 128 px: block 2 is 32 x 32 x 32, block 3 16 x 16 x 64, block 4
8 x 8 x 128), K = 8, with scikit-learn's KMeans at the preset's 3 restarts and at 1, and MiniBatchKMeans;
and the feature pass of a whole quick run (134 images) for scale.

python benchmarks/bench_kmeans.py
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import torch
from sklearn.cluster import KMeans, MiniBatchKMeans

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.kmeans import cluster_maps  # noqa: E402
from training.encoders import ResNetEncoder  # noqa: E402
from training.features import block_feature_maps  # noqa: E402

SHAPES = {2: (32, 32, 32), 3: (64, 16, 16), 4: (128, 8, 8)}


def per_image_ms(make, points, repeats: int = 10) -> float:
    start = time.perf_counter()
    for i in range(repeats):
        make(i).fit_predict(points)
    return (time.perf_counter() - start) / repeats * 1e3


def main() -> None:
    warnings.simplefilter("ignore")
    encoder = ResNetEncoder("resnet18", 3, 16, "small", 2).eval()
    images = torch.rand(134, 3, 128, 128)
    start = time.perf_counter()
    maps = block_feature_maps(encoder, images, (2, 3, 4), torch.device("cpu"))
    print(f"feature pass, 134 images x blocks 2-4: {time.perf_counter() - start:.2f} s")
    header = f"{'block':>5s} {'points x dims':>14s} {'KMeans n_init=3':>16s} {'n_init=1':>9s} {'MiniBatch':>10s}"
    print(f"{header}  ms/image")
    for block, (channels, h, w) in SHAPES.items():
        points = maps[block][0].permute(1, 2, 0).reshape(h * w, channels).double().numpy()
        full = per_image_ms(lambda i: KMeans(8, n_init=3, random_state=i), points)
        once = per_image_ms(lambda i: KMeans(8, n_init=1, random_state=i), points)
        mini = per_image_ms(lambda i: MiniBatchKMeans(8, n_init=3, random_state=i, batch_size=256), points)
        print(f"{block:5d} {f'{h * w} x {channels}':>14s} {full:16.1f} {once:9.1f} {mini:10.1f}")
    start = time.perf_counter()
    for block in (2, 3, 4):
        for k in (2, 4, 6, 8):
            cluster_maps(maps[block], k, seed=0)
    print(f"one quick run's encoder clustering (134 images, 3 blocks x 4 K): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
