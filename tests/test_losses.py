"""Losses against independent references: brute force loops in float64, POT, and a 2-process gloo run."""

from __future__ import annotations

import math

import ot
import pytest
import torch
import torch.nn.functional as F

from losses import (
    LOSS_NAMES,
    alignment_loss,
    build_loss,
    cross_view_nt_xent,
    logsumexp_term,
    nt_xent,
    nt_xent_balance,
    random_orthogonal,
    sample_prior,
    sliced_wasserstein,
    swd_to_prior,
)


def _views(n: int = 6, d: int = 5, seed: int = 0, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=dtype), torch.randn(n, d, generator=g, dtype=dtype)


def _brute_force_nt_xent(z1: torch.Tensor, z2: torch.Tensor, tau: float, eps: float = 0.0) -> float:
    """Per anchor: positive similarity - eps, negatives + eps (IFM, Robinson et al. 2021; eps 0: NT-Xent)."""
    z = F.normalize(torch.cat([z1, z2]), dim=1).tolist()
    n2 = len(z)
    sim = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        positive = math.exp((sim(z[i], z[j]) - eps) / tau)
        negatives = sum(math.exp((sim(z[i], z[k]) + eps) / tau) for k in range(n2) if k not in (i, j))
        total += -math.log(positive / (positive + negatives))
    return total / n2


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_nt_xent_matches_brute_force_loop(tau):
    z1, z2 = _views()
    assert nt_xent(z1, z2, tau).item() == pytest.approx(_brute_force_nt_xent(z1, z2, tau), rel=1e-6)


@pytest.mark.parametrize(("tau", "eps"), [(0.1, 0.1), (0.5, 0.05), (0.2, 0.5)])
def test_ifm_matches_its_formula_and_adds_to_nt_xent_with_its_weight(tau, eps):
    z1, z2 = _views()
    assert nt_xent(z1, z2, tau, epsilon=eps).item() == pytest.approx(_brute_force_nt_xent(z1, z2, tau, eps), rel=1e-6)
    assert nt_xent(z1, z2, tau, epsilon=eps) > nt_xent(z1, z2, tau)  # a harder task
    loss = build_loss("nt_xent", temperature=tau, ifm_epsilon=eps, ifm_weight=0.5)
    expected = _brute_force_nt_xent(z1, z2, tau) + 0.5 * _brute_force_nt_xent(z1, z2, tau, eps)
    assert loss(z1, z2).total.item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="ifm_weight=0.5 applies to nt_xent only"):
        build_loss("swd_normal", ifm_weight=0.5)


@pytest.mark.parametrize("tau", [0.05, 0.2, 1.0])
def test_nt_xent_decomposes_into_alignment_plus_tau_logsumexp(tau):
    z1, z2 = _views(n=9, d=7, seed=3)
    # tau * NT-Xent = 1/2 ||u - v||^2 - 1 + tau * LSE_{k != self}: alignment over anchors of both views (equal
    # for view 1 and view 2 anchors), the LogSumExp term with self excluded (its log d constant added back).
    align = alignment_loss(z1, z2, normalize=True, reduction="sum")
    lse = logsumexp_term(z1, z2, tau, exclude_self=True) + math.log(z1.shape[1])
    assert (tau * nt_xent(z1, z2, tau)).item() == pytest.approx((align - 1 + tau * lse).item(), rel=1e-9)


def test_nt_xent_invariant_to_batch_permutation():
    z1, z2 = _views(n=12, seed=1)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(0))
    assert nt_xent(z1[perm], z2[perm], 0.1).item() == pytest.approx(nt_xent(z1, z2, 0.1).item(), rel=1e-12)


def test_logsumexp_term_matches_notebook_formula_and_masks():
    z1, z2 = _views(n=4, d=3, seed=2)
    tau = 0.3
    h = F.normalize(torch.cat([z1, z2]), dim=1)
    scores = h @ h.T / tau
    expected = (torch.logsumexp(scores, 1) - math.log(3)).mean()
    assert logsumexp_term(z1, z2, tau).item() == pytest.approx(expected.item(), rel=1e-12)
    eye = torch.eye(8, dtype=torch.bool)
    positive = eye.roll(4, dims=1)
    masked = scores.masked_fill(eye | positive, float("-inf"))
    expected_masked = (torch.logsumexp(masked, 1) - math.log(3)).mean()
    got = logsumexp_term(z1, z2, tau, exclude_self=True, exclude_positive=True)
    assert got.item() == pytest.approx(expected_masked.item(), rel=1e-12)


def test_cross_view_nt_xent_matches_explicit_loops():
    z1, z2 = _views(n=5, d=4, seed=4)
    tau = 0.2
    u, v = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    total = 0.0
    for a, b in ((u, v), (v, u)):
        for i in range(5):
            logits = [float(a[i] @ b[k]) / tau for k in range(5)]
            total += -(logits[i] - math.log(sum(math.exp(x) for x in logits)))
    assert cross_view_nt_xent(z1, z2, tau).item() == pytest.approx(total / 10, rel=1e-9)


def test_swd_equals_pot_squared_with_same_projection():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g, dtype=torch.float64)
    y = torch.rand(64, 8, generator=g, dtype=torch.float64) * 2 - 1
    w = random_orthogonal(8, dtype=torch.float64, generator=g)
    ours = sliced_wasserstein(x, y, w).item()
    pot = ot.sliced_wasserstein_distance(x.numpy(), y.numpy(), projections=w.numpy(), p=2)
    assert ours == pytest.approx(float(pot) ** 2, abs=1e-6)


def test_random_orthogonal_is_orthogonal_and_fresh_each_call():
    w1, w2 = random_orthogonal(16), random_orthogonal(16)
    assert torch.allclose(w1 @ w1.T, torch.eye(16), atol=1e-5)
    assert not torch.allclose(w1, w2)


@pytest.mark.parametrize("prior", ["hypersphere", "hypercube", "normal"])
def test_swd_near_zero_on_prior_and_grows_with_shift(prior):
    g = torch.Generator().manual_seed(1)
    sample = sample_prior(prior, 4096, 16, generator=g)
    matched = swd_to_prior(sample, prior, generator=g).item()
    shifted = swd_to_prior(sample + 0.5, prior, generator=g).item()
    assert matched < 2e-3
    assert shifted > 20 * matched


def test_swd_gradient_moves_free_points_toward_prior():
    g = torch.Generator().manual_seed(2)
    points = (torch.randn(512, 8, generator=g) * 3 + 1).requires_grad_()
    # The loss averages over m * d entries, so a point's gradient is ~ 2 (x - target) / (m d): lr ~ m d / 4.
    optimizer = torch.optim.SGD([points], lr=512 * 8 / 4)
    before = swd_to_prior(points.detach(), "normal", generator=torch.Generator().manual_seed(9)).item()
    for _ in range(30):
        loss = swd_to_prior(points, "normal", generator=g)
        optimizer.zero_grad()
        loss.backward()
        assert torch.isfinite(points.grad).all()
        optimizer.step()
    after = swd_to_prior(points.detach(), "normal", generator=torch.Generator().manual_seed(9)).item()
    assert after < before / 5


def test_prior_samplers_have_the_right_support_and_moments():
    g = torch.Generator().manual_seed(3)
    sphere = sample_prior("hypersphere", 2000, 32, generator=g)
    assert torch.allclose(sphere.norm(dim=1), torch.ones(2000), atol=1e-5)
    cube = sample_prior("hypercube", 20000, 8, generator=g)
    assert cube.min() >= -1 and cube.max() <= 1 and cube.min() < -0.99 and cube.max() > 0.99
    normal = sample_prior("normal", 50000, 4, generator=g)
    assert normal.mean().abs() < 0.02 and (normal.var() - 1).abs() < 0.02
    with pytest.raises(ValueError, match="prior 'laplace' is unknown"):
        sample_prior("laplace", 2, 2)


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("autocast", [False, True])
def test_no_nan_at_tiny_temperature_fp32_and_bf16_autocast(name, autocast):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(32, 16, generator=g)
    layer = torch.nn.Linear(16, 8)
    loss_fn = build_loss(name, temperature=0.01)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        z1, z2 = layer(x), layer(x + 0.01 * torch.randn(32, 16, generator=g))
        terms = loss_fn(z1, z2, generator=g)
    terms.total.backward()
    assert terms.total.dtype == torch.float32
    assert torch.isfinite(terms.total)
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


def test_generalized_loss_is_scaling_times_alignment_plus_lambda_distribution():
    z1, z2 = _views(n=8, d=6, seed=6, dtype=torch.float32)
    terms = build_loss("swd_normal", lam=2.5, scaling=3.0)(z1, z2, generator=torch.Generator().manual_seed(0))
    assert terms.total.item() == pytest.approx(3.0 * (terms.alignment + 2.5 * terms.distribution).item(), rel=1e-6)
    assert terms.alignment.item() == pytest.approx(((z1 - z2) ** 2).mean().item() / 2, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "infonce"}, "loss 'infonce' is unknown"),
        ({"name": "nt_xent", "temperature": 0.0}, "temperature=0.0 is not allowed"),
        ({"name": "nt_xent", "temperature": -1}, "temperature=-1 is not allowed"),
        ({"name": "swd_normal", "lam": -1.0}, "lam=-1.0 is not allowed"),
        ({"name": "swd_normal", "n_projections": 0}, "n_projections=0 is not allowed"),
    ],
)
def test_bad_loss_options_fail_with_one_clear_error(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message):
        build_loss(name, **kwargs)


def test_batch_of_one_is_rejected():
    with pytest.raises(ValueError, match="n >= 2"):
        build_loss("nt_xent")(torch.randn(1, 4), torch.randn(1, 4))


@pytest.mark.parametrize(("tau", "d"), [(0.2, 5), (0.5, 64)])
def test_decoupled_nt_xent_at_lambda_tau_over_d_is_nt_xent_over_the_full_matrix_up_to_a_constant(tau, d):
    z = F.normalize(torch.cat(_views(n=4, d=d, seed=3)), dim=1).tolist()
    n2, sim = len(z), lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
    full = (
        sum(  # NT-Xent with the anchor itself and its positive in the LogSumExp, as the notebook has it
            -sim(z[i], z[(i + n2 // 2) % n2]) / tau + math.log(sum(math.exp(sim(z[i], z[k]) / tau) for k in range(n2)))
            for i in range(n2)
        )
        / n2
    )
    z1, z2 = _views(n=4, d=d, seed=3)
    decoupled = build_loss("decoupled_nt_xent", temperature=tau, lam=nt_xent_balance(tau, d))(z1, z2).total.item()
    assert decoupled * d / tau == pytest.approx(full + 1 / tau - math.log(d), rel=1e-9)
    assert nt_xent_balance(tau, d) == tau / d
