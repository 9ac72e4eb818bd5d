"""The formulas that each tab shows, keyed by the tab's stable key.

The sources are those cited in the matching ``models`` modules: Goodfellow et al.
(2014) for GANs, Devroye (1986) for the inverse transform, von Neumann (1951) for
rejection sampling, Metropolis et al. (1953) and Hastings (1970) for
Metropolis-Hastings, and Gretton et al. (2012) for the MMD.
"""

from __future__ import annotations

from widgets.formula_view import Formula

GAN_FORMULAS = (
    Formula(
        "Minimax objective",
        r"$\min_G\ \max_D\ V(D, G)$",
        "D tries to tell real x from generated G(z); G tries to fool it.",
    ),
    Formula(
        "Value of the game",
        r"$V(D, G) = \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$",
        "x is drawn from the data, z from the noise distribution p<sub>z</sub>.",
    ),
    Formula(
        "Discriminator loss",
        r"$L_D = -\mathbb{E}_{x}[\log D(x)] - \mathbb{E}_{z}[\log(1 - D(G(z)))]$",
        "Binary cross-entropy with real samples labelled 1 and generated ones 0.",
    ),
    Formula(
        "Saturating generator loss",
        r"$L_G^{\mathrm{sat}} = \mathbb{E}_{z}[\log(1 - D(G(z)))]$",
        "G's side of the minimax objective. Its gradient is D(G(z)) times that of "
        "D's logit, so it vanishes while D confidently rejects the samples.",
    ),
    Formula(
        "Non-saturating generator loss",
        r"$L_G^{\mathrm{NS}} = -\mathbb{E}_{z}[\log D(G(z))]$",
        "Its gradient is 1 - D(G(z)) times that of D's logit: largest exactly when "
        "D rejects the samples.",
    ),
    Formula(
        "Best discriminator for a fixed G",
        r"$D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x) + p_g(x)}$",
        "When the generated density p<sub>g</sub> equals p<sub>data</sub>, "
        "D<sup>*</sup> = 1/2 everywhere, so D(x) and D(G(z)) both approach 0.5.",
    ),
)

INVERSE_FORMULAS = (
    Formula(
        "Inverse transform",
        r"$Y = F_X^{-1}(U),\quad U \sim \mathcal{U}(0, 1),\quad "
        r"F_X^{-1}(u) = \inf\,\{x : F_X(x) \geq u\}$",
        "One uniform number per sample, mapped through the quantile function.",
    ),
    Formula(
        "Why Y has the distribution of X",
        r"$F_Y(y) = P(F_X^{-1}(U) \leq y) = P(U \leq F_X(y)) = F_X(y)$",
        "F<sub>X</sub><sup>−1</sup>(u) ≤ y holds exactly when "
        "u ≤ F<sub>X</sub>(y), and P(U ≤ t) = t.",
    ),
    Formula(
        "No closed-form inverse",
        r"$\mathrm{solve}\ F_X(x) = u_j\ \mathrm{for}\ x_j,\ \mathrm{then}\ "
        r"F_X^{-1}(u) \approx x_j + \frac{u - u_j}{u_{j+1} - u_j}\,(x_{j+1} - x_j)$",
        "When F<sub>X</sub> cannot be inverted by hand, F<sub>X</sub>(x) = u is "
        "solved numerically at a table of u values, and draws interpolate between "
        "them.",
    ),
)

REJECTION_FORMULAS = (
    Formula(
        "Envelope",
        r"$p(x) \leq M\,q(x)\quad \mathrm{for\ all}\ x$",
        "q is a density that is easy to sample; M scales it above the target p.",
    ),
    Formula(
        "Acceptance condition",
        r"$x \sim q,\quad u \sim \mathcal{U}(0, 1),\quad "
        r"\mathrm{accept}\ x\ \mathrm{if}\ u \leq \frac{p(x)}{M\,q(x)}$",
        "Accepted points have density p.",
    ),
    Formula(
        "Acceptance rate",
        r"$P(\mathrm{accept}) = \frac{1}{M}$",
        "For normalised p and q. Where p(x) &gt; M q(x) the envelope clips the "
        "target, and the samples follow min(p, M q) instead of p.",
    ),
)

MH_FORMULAS = (
    Formula(
        "Proposal",
        r"$x' \sim q(x' \mid x)$",
        "A candidate drawn near the current state x, for example x' = x + s ε.",
    ),
    Formula(
        "Acceptance ratio",
        r"$\alpha(x, x') = \min\left(1,\ "
        r"\frac{p(x')\,q(x \mid x')}{p(x)\,q(x' \mid x)}\right)$",
        "Only ratios of p appear, so p need not be normalised. For a symmetric "
        "proposal the q terms cancel.",
    ),
    Formula(
        "Next state",
        r"$x_{t+1} = x'\ \mathrm{with\ probability}\ \alpha(x_t, x'),\ "
        r"\mathrm{else}\ x_{t+1} = x_t$",
        "A tiny step accepts almost every proposal but moves slowly; a huge step "
        "is almost always rejected. Both mix badly.",
    ),
)

MMD_FORMULAS = (
    Formula(
        "Squared maximum mean discrepancy",
        r"$\mathrm{MMD}^2(P, Q) = \mathbb{E}\,k(x, x') + \mathbb{E}\,k(y, y') "
        r"- 2\,\mathbb{E}\,k(x, y)$",
        "x, x' drawn from the generator P, y, y' from the data Q. It is 0 exactly "
        "when P = Q, for a characteristic kernel such as the Gaussian.",
    ),
    Formula(
        "Gaussian kernel",
        r"$k(a, b) = \exp\left(-\frac{\|a - b\|^2}{2 s^2}\right)$",
        "s is the bandwidth: how far apart two points may be and still count as close.",
    ),
    Formula(
        "Witness function",
        r"$f(t) = \frac{1}{n}\sum_j k(t, y_j) - \frac{1}{m}\sum_i k(t, x_i)$",
        "Positive where generated samples are missing, negative where there are "
        "too many.",
    ),
)

FORMULAS_BY_TAB = {
    "gan": GAN_FORMULAS,
    "inverse": INVERSE_FORMULAS,
    "rejection": REJECTION_FORMULAS,
    "mh": MH_FORMULAS,
    "mmd": MMD_FORMULAS,
}


def formulas_for(key: str) -> tuple[Formula, ...]:
    """Return the formulas of the tab with stable key ``key``, or none."""
    return FORMULAS_BY_TAB.get(key, ())
