"""Per-image k-means on feature maps, and how well the clusters follow known object masks.

``cluster_maps``: for each image, k-means (scikit-learn, k-means++ init) over its H_b x W_b feature vectors
(L2-normalized per location when ``normalize``, i.e. grouped by direction); returns the cluster of each
location. ``upsample``: the map, nearest-neighbour, at the image's resolution. ``mask_scores``: per image,
against a binary object mask (N, H, W):

* ``ari``: adjusted Rand index between the K clusters and {object, background} over the pixels (1: the
  clusters are exactly the two regions; about 0: unrelated; splitting the object into parts lowers it);
* ``iou``: each cluster is called object when most of its pixels lie on the object; the IoU of the union of
  object clusters with the mask (parts are fine, mixing object and background is not).

``interior``: a map without its outer ``cells`` rings. A ResNet's last block reads the zero padding in its
outer ring of cells, and every encoder, trained or not, gives those cells clusters of their own; the
experiment drops the outer ring of the coarsest map (``border_pixels``) from every block's map, from the
raw-pixel maps and from the masks, so that all are clustered and scored on the same interior.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score


def cluster_maps(features: torch.Tensor, k: int, seed: int, normalize: bool = True, n_init: int = 3) -> torch.Tensor:
    """features (N, C, h, w) -> cluster index per location (N, h, w) int64, one k-means per image."""
    if k < 2:
        raise ValueError(f"k={k} must be >= 2")
    n, channels, height, width = features.shape
    points = features.permute(0, 2, 3, 1).reshape(n, height * width, channels).double()
    if normalize:
        points = F.normalize(points, dim=-1)
    maps = np.empty((n, height * width), dtype=np.int64)
    with warnings.catch_warnings():  # fewer distinct points than k (a flat region): fewer clusters, no noise
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i in range(n):
            kmeans = KMeans(n_clusters=k, n_init=n_init, random_state=seed + i)
            maps[i] = kmeans.fit_predict(points[i].numpy())
    return torch.from_numpy(maps).reshape(n, height, width)


def border_pixels(canvas: int, coarsest: int) -> int:
    """The side of one cell of the coarsest (``coarsest`` x ``coarsest``) map on a ``canvas``-pixel image."""
    if canvas % coarsest:
        raise ValueError(f"a {coarsest} x {coarsest} map does not tile a {canvas} px canvas")
    return canvas // coarsest


def interior(maps: torch.Tensor, canvas: int, border: int) -> torch.Tensor:
    """(..., h, w) maps over a ``canvas``-pixel image without the cells within ``border`` pixels of its edge."""
    cells = border * maps.shape[-1] // canvas
    if cells * canvas != border * maps.shape[-1]:
        raise ValueError(f"a border of {border} px is not whole cells of a {maps.shape[-1]}-cell map of {canvas} px")
    return maps[..., cells : maps.shape[-2] - cells, cells : maps.shape[-1] - cells] if cells else maps


def upsample(maps: torch.Tensor, size: int) -> torch.Tensor:
    """(N, h, w) cluster maps -> (N, size, size), nearest neighbour."""
    return F.interpolate(maps[:, None].float(), size=(size, size), mode="nearest")[:, 0].long()


def object_iou(clusters: np.ndarray, mask: np.ndarray) -> float:
    """One image: clusters (H, W) int, mask (H, W) bool -> IoU of the majority-object clusters with the mask."""
    labels, inverse = np.unique(clusters, return_inverse=True)
    on_object = np.bincount(inverse.ravel(), weights=mask.ravel(), minlength=len(labels))
    totals = np.bincount(inverse.ravel(), minlength=len(labels))
    predicted = (on_object > totals / 2)[inverse.reshape(mask.shape)]
    union = np.logical_or(predicted, mask).sum()
    return float(np.logical_and(predicted, mask).sum() / union) if union else 1.0


def mask_scores(clusters: torch.Tensor, masks: torch.Tensor) -> dict[str, float]:
    """clusters (N, H, W), masks (N, H, W) bool at the same resolution -> mean ``ari`` and ``iou``."""
    if clusters.shape != masks.shape:
        raise ValueError(f"cluster maps {tuple(clusters.shape)} and masks {tuple(masks.shape)} differ in shape")
    c, m = clusters.numpy(), masks.numpy().astype(bool)
    ari = [adjusted_rand_score(m[i].ravel(), c[i].ravel()) for i in range(len(c))]
    iou = [object_iou(c[i], m[i]) for i in range(len(c))]
    return {"ari": float(np.mean(ari)), "iou": float(np.mean(iou))}
