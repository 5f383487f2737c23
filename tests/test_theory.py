"""The SELU moment mapping, its fixed points, and the alpha-dropout correction."""

import numpy as np
import pytest

from snn.theory import ALPHA, SCALE, alpha_dropout_affine, jacobian, moment_map
from snn.theory import selu_parameters


def _selu(z, alpha=ALPHA, scale=SCALE):
    return np.where(z > 0, scale * z, scale * alpha * np.expm1(np.minimum(z, 0)))


def test_standard_selu_constants_solve_the_fixed_point_equations():
    alpha, scale = selu_parameters()
    assert alpha == pytest.approx(1.6732632423543772, rel=1e-12)
    assert scale == pytest.approx(1.0507009873554805, rel=1e-12)


def test_omega_one_reproduces_the_reference_notebook():
    # getSELUparameters notebook of the paper's repository, fixed point (-0.1, 2.0).
    alpha, scale = selu_parameters(-0.1, 2.0, omega=1.0)
    assert alpha == pytest.approx(1.97690219542, abs=1e-10)
    assert scale == pytest.approx(1.07385123962, abs=1e-10)


def test_omega_zero_constants_differ_and_are_the_ones_a_lecun_network_needs():
    alpha, scale = selu_parameters(-0.1, 2.0)
    assert (alpha, scale) == pytest.approx((2.32699, 0.98218), abs=5e-6)
    # A LeCun-initialized layer (omega ~ 0) with the notebook's constants settles elsewhere.
    mu, nu = 0.0, 1.0
    for _ in range(200):
        mu, nu = moment_map(mu, nu, 0.0, 1.0, 1.97690219542, 1.07385123962)
    assert (mu, nu) == pytest.approx((0.016, 2.223), abs=1e-3)


def test_standard_fixed_point_is_zero_mean_unit_variance():
    mu, nu = moment_map(0.0, 1.0)
    assert mu == pytest.approx(0.0, abs=1e-12)
    assert nu == pytest.approx(1.0, abs=1e-12)


def test_fixed_point_is_attracting_with_spectral_norm_0_7877():
    assert np.linalg.norm(jacobian(0.0, 1.0), 2) == pytest.approx(0.7877, abs=5e-5)


@pytest.mark.parametrize("point", [(0.0, 1.0, 0.0, 1.0), (0.3, 1.5, 0.7, 1.2),
                                   (-0.4, 0.7, -1.0, 0.9)])
def test_jacobian_matches_central_differences(point):
    mu, nu, omega, tau = point
    step = 1e-6
    numeric = np.empty((2, 2))
    for column, (d_mu, d_nu) in enumerate(((step, 0), (0, step))):
        plus = moment_map(mu + d_mu, nu + d_nu, omega, tau)
        minus = moment_map(mu - d_mu, nu - d_nu, omega, tau)
        numeric[:, column] = (np.array(plus) - np.array(minus)) / (2 * step)
    np.testing.assert_allclose(jacobian(mu, nu, omega, tau), numeric, atol=1e-8)


def test_iterating_the_map_from_mean_2_variance_9_converges_quickly():
    mu, nu = 2.0, 9.0
    for steps in range(1, 100):  # noqa: B007 (read after the loop)
        mu, nu = moment_map(mu, nu)
        if abs(mu) < 1e-3 and abs(nu - 1) < 1e-3:
            break
    # Near (0, 1) the map contracts by its Jacobian's spectral norm 0.788 per layer, so a
    # unit distance shrinks 1000-fold in ln(1e-3) / ln(0.788) = 29 layers, plus a few
    # layers to get near from (2, 9).
    assert abs(mu) < 1e-3 and abs(nu - 1) < 1e-3 and 29 <= steps <= 40


@pytest.mark.parametrize("mu, nu, omega, tau", [
    (0.0, 1.0, 0.0, 1.0), (0.3, 1.5, 0.7, 1.2), (-0.5, 0.6, -1.0, 0.8), (0.5, 2.0, 1.0, 1.0),
])
def test_closed_form_matches_monte_carlo(mu, nu, omega, tau):
    # 10^6 samples of z ~ N(mu * omega, nu * tau): the standard errors of the mean and of the
    # variance of SELU(z) are below 0.003 here, so 0.01 is more than 3 standard errors.
    z = np.random.default_rng(0).normal(mu * omega, np.sqrt(nu * tau), 10**6)
    y = _selu(z)
    mean, variance = moment_map(mu, nu, omega, tau)
    assert mean == pytest.approx(y.mean(), abs=0.01)
    assert variance == pytest.approx(y.var(), abs=0.01)


@pytest.mark.parametrize("rate, a, b", [(0.05, 0.954844, 0.083936), (0.1, 0.921285, 0.161971),
                                        (0.2, 0.878904, 0.309040)])
def test_alpha_dropout_affine_for_the_standard_selu(rate, a, b):
    assert alpha_dropout_affine(rate) == pytest.approx((a, b), abs=1e-6)


@pytest.mark.parametrize("rate, mean, variance", [(0.1, 0.0, 1.0), (0.2, -0.1, 2.0),
                                                  (0.05, 0.2, 1.5)])
def test_alpha_dropout_affine_keeps_any_fixed_point(rate, mean, variance):
    alpha, scale = selu_parameters(mean, variance)
    a, b = alpha_dropout_affine(rate, mean, variance, alpha, scale)
    rng = np.random.default_rng(1)
    x = rng.normal(mean, np.sqrt(variance), 10**6)
    kept = rng.uniform(size=x.shape) >= rate
    y = a * np.where(kept, x, -scale * alpha) + b
    # Standard errors below 0.004 for 10^6 samples.
    assert y.mean() == pytest.approx(mean, abs=0.01)
    assert y.var() == pytest.approx(variance, abs=0.015 * variance)


@pytest.mark.parametrize("call, message", [
    (lambda: alpha_dropout_affine(1.0), r"rate: got 1.0; expected a number in \[0, 1\)"),
    (lambda: alpha_dropout_affine(-0.1), r"rate: got -0.1; expected a number in \[0, 1\)"),
    (lambda: alpha_dropout_affine(0.1, variance=0.0), "variance: got 0.0; expected a number > 0"),
    (lambda: selu_parameters(0.0, -1.0), "variance: got -1.0; expected a number > 0"),
    (lambda: moment_map(0.0, 1.0, tau=0.0), "tau: got 0.0; expected a number > 0"),
    (lambda: selu_parameters(3.0, 0.1), r"no SELU \(alpha > 0, scale > 0\) has the fixed "
                                         r"point \(3.0, 0.1\)"),
])
def test_invalid_arguments_name_the_argument_and_the_allowed_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()
