"""The mathematics of self-normalization: the SELU moment mapping and its fixed points.

Pure NumPy/SciPy (no Keras), following Klambauer et al., "Self-Normalizing Neural Networks",
NeurIPS 2017 (arXiv:1706.02515), Section 3 and Appendix A1. Notation of the paper:

- `mu`, `nu`: mean and variance of the activations x_i entering a layer;
- `omega`, `tau`: the sum and the sum of squares of a unit's incoming weights,
  omega = sum_i w_i, tau = sum_i w_i**2. LeCun initialization (Var(w) = 1/fan_in) gives
  omega ~ 0 and tau ~ 1;
- the pre-activation z = sum_i w_i x_i is then approximately N(mu * omega, nu * tau);
- `alpha`, `scale` (the paper's lambda): SELU(z) = scale * z for z > 0, and
  scale * alpha * (exp(z) - 1) otherwise.
"""

import numpy as np
from scipy import optimize, special

ALPHA = 1.6732632423543772848170429916717
"""alpha of the standard SELU, whose fixed point is (mean, variance) = (0, 1)."""
SCALE = 1.0507009873554804934193349852946
"""scale (lambda) of the standard SELU."""


def _exp_erfc(a, b):
    """exp(a) * erfc(b), without overflow for large b (erfcx(b) = exp(b**2) erfc(b))."""
    b = np.asarray(b)
    if np.all(np.real(b) > 0):
        return np.exp(a - b * b) * special.erfcx(b)
    return np.exp(a) * special.erfc(b)


def _check_positive(name, value):
    if not np.all(np.real(value) > 0):
        raise ValueError(f"{name}: got {value}; expected a number > 0")


def moment_map(mu, nu, omega=0.0, tau=1.0, alpha=ALPHA, scale=SCALE):
    """Mean and variance of a SELU layer's activations, given those of its inputs.

    The closed-form mapping g: (mu, nu) -> (mu_new, nu_new) of the paper, eqs. (4) and (5),
    written with erfc; eq. (5) gives nu_new itself, computed here as the second moment
    (Appendix A1, eq. (13)) minus mu_new**2.
    Complex arguments are accepted, so that `jacobian` can use complex-step derivatives.

    Args:
        mu: float, mean of the layer's inputs.
        nu: float > 0, variance of the layer's inputs.
        omega: float, sum of a unit's incoming weights.
        tau: float > 0, sum of squares of a unit's incoming weights.
        alpha: float, SELU alpha.
        scale: float, SELU scale (lambda).

    Returns:
        (mu_new, nu_new): floats, mean and variance of the layer's activations.

    Raises:
        ValueError: `nu` or `tau` is not > 0.

    Reference:
        Klambauer et al. 2017, Section 3, eqs. (4)-(5); Appendix A1, eqs. (11)-(13).
    """
    _check_positive("nu", nu)
    _check_positive("tau", tau)
    m = mu * omega                 # mean of the pre-activation z
    v = nu * tau                   # variance of z
    s = np.sqrt(2 * v)
    gauss = np.sqrt(2 / np.pi) * np.sqrt(v) * np.exp(-m * m / (2 * v))
    erfc_m = special.erfc(m / s)
    mean = 0.5 * scale * (
        m * (1 - erfc_m)  # m * erf(m / s), written with erfc so it takes complex arguments
        + alpha * _exp_erfc(m + v / 2, (m + v) / s)
        - alpha * erfc_m
        + gauss
        + m
    )
    second_moment = 0.5 * scale**2 * (
        (m * m + v) * (2 - erfc_m)
        + alpha**2 * (
            -2 * _exp_erfc(m + v / 2, (m + v) / s)
            + _exp_erfc(2 * (m + v), (m + 2 * v) / s)
            + erfc_m
        )
        + m * gauss
    )
    return mean, second_moment - mean * mean


def jacobian(mu, nu, omega=0.0, tau=1.0, alpha=ALPHA, scale=SCALE):
    """The Jacobian of `moment_map` with respect to (mu, nu), exact to rounding.

    Computed by complex-step differentiation of the closed form, which has no cancellation
    error: d f / d x = Im f(x + i h) / h for a tiny h.

    Args:
        mu, nu, omega, tau, alpha, scale: as in `moment_map`.

    Returns:
        float array (2, 2): [[d mu_new/d mu, d mu_new/d nu], [d nu_new/d mu, d nu_new/d nu]].

    Reference:
        Klambauer et al. 2017, Theorem 1 and its proof: at the standard SELU's fixed point
        (0, 1) with omega = 0, tau = 1 the spectral norm is about 0.7877 < 1, so the fixed
        point is attracting.
    """
    step = 1e-30
    columns = []
    for d_mu, d_nu in ((1, 0), (0, 1)):
        mean, variance = moment_map(mu + 1j * step * d_mu, nu + 1j * step * d_nu, omega, tau,
                                    alpha, scale)
        columns.append([np.imag(mean) / step, np.imag(variance) / step])
    return np.array(columns).T


def selu_parameters(mean=0.0, variance=1.0, omega=0.0, tau=1.0):
    """SELU constants (alpha, scale) whose moment mapping has the fixed point (mean, variance).

    Solves g(mean, variance) = (mean, variance) for alpha and scale (paper, Section 3,
    "Constructing Self-Normalizing Neural Networks"). The answer depends on omega: a
    LeCun-initialized network has omega ~ 0, so the pre-activation has mean ~0 whatever the
    input mean, and the default omega=0 gives constants at which such a network settles
    at (mean, variance). The reference repository's `getSELUparameters` notebook instead
    assumes the pre-activation already has the target mean (omega = 1, tau = 1); for
    (-0.1, 2.0) it gives alpha = 1.97690219542, scale = 1.07385123962, and a
    LeCun-initialized network with those constants settles near (0.016, 2.22), not at
    (-0.1, 2.0). Use `omega=1.0` to reproduce the notebook; for (0, 1) both agree, since
    mean * omega = 0 either way.

    Args:
        mean: float, the target mean of the activations.
        variance: float > 0, the target variance of the activations.
        omega: float, sum of a unit's incoming weights (0 for LeCun initialization).
        tau: float > 0, sum of squares of a unit's incoming weights (1 for LeCun).

    Returns:
        (alpha, scale): floats > 0. For (0, 1): (1.6732632423543772, 1.0507009873554805).

    Raises:
        ValueError: `variance` or `tau` is not > 0, or no SELU has this fixed point.

    Example:
    >>> alpha, scale = selu_parameters(-0.1, 2.0)
    >>> round(alpha, 5), round(scale, 5)
    (2.32699, 0.98218)
    """
    _check_positive("variance", variance)
    _check_positive("tau", tau)

    def residual(params):
        alpha, scale = params
        mapped = moment_map(mean, variance, omega, tau, alpha, scale)
        return [mapped[0] - mean, mapped[1] - variance]

    # Judge the answer by its residual: at tol=1e-15 MINPACK reports "no further
    # improvement possible" once it reaches machine precision, which is success here.
    solution = optimize.root(residual, [ALPHA, SCALE], method="hybr", tol=1e-15)
    alpha, scale = solution.x
    if alpha <= 0 or scale <= 0 or np.max(np.abs(residual(solution.x))) > 1e-12 * variance:
        raise ValueError(
            f"mean, variance: no SELU (alpha > 0, scale > 0) has the fixed point "
            f"({mean}, {variance}) with omega={omega}, tau={tau}; try a mean closer to 0 "
            "or a variance closer to 1"
        )
    return float(alpha), float(scale)


def alpha_dropout_affine(rate, mean=0.0, variance=1.0, alpha=ALPHA, scale=SCALE):
    """The affine correction (a, b) that makes alpha dropout keep the fixed point.

    Alpha dropout keeps a unit with probability q = 1 - rate and otherwise sets it to the
    SELU saturation value alpha' = -scale * alpha; then y = a * x + b restores the mean and
    variance: a = sqrt(variance / (q * ((1 - q) * (alpha' - mean)**2 + variance))) and
    b = mean - a * (q * mean + (1 - q) * alpha').

    Args:
        rate: float in [0, 1), the dropout rate.
        mean: float, the fixed point's mean.
        variance: float > 0, the fixed point's variance.
        alpha, scale: the SELU constants (alpha' = -scale * alpha).

    Returns:
        (a, b): floats. For the standard SELU at rate 0.1: (0.921285..., 0.161971...).

    Raises:
        ValueError: `rate` is outside [0, 1) or `variance` is not > 0.

    Reference:
        Klambauer et al. 2017, Section 3, "New Dropout Technique", which gives (a, b) for
        the fixed point (0, 1); the general (mean, variance) form solves the same two
        moment conditions (Appendix A5 gives only the SELU constants alpha_02, lambda_02).
    """
    if not 0 <= rate < 1:
        raise ValueError(f"rate: got {rate}; expected a number in [0, 1)")
    _check_positive("variance", variance)
    keep = 1.0 - rate
    saturation = -scale * alpha
    a = np.sqrt(variance / (keep * ((1 - keep) * (saturation - mean) ** 2 + variance)))
    b = mean - a * (keep * mean + (1 - keep) * saturation)
    return float(a), float(b)
