"""Names of the targets and proposals that users choose from, without heavy imports.

The command line builds its help text from these constants, so ``--help`` does not
have to import scipy. The samplers and the target parser import them from here.
"""

REJECTION_PROPOSALS = ("hat", "uniform", "normal", "laplace", "cauchy")
MH_PROPOSALS = ("normal", "lognormal", "independent")

TARGET_HELP = (
    "1-D: normal(loc, scale), exponential(rate), laplace(loc, scale), "
    "cauchy(loc, scale), logistic(loc, scale), weibull(shape, scale=1), beta(a, b), "
    "gamma(shape, rate=1), uniform(low, high), and "
    "mixture(w1*normal(m1, s1) + w2*normal(m2, s2) + ...) with weights that sum to 1 "
    "(any 1-D family may be a component; without weights the components weigh the "
    "same). 2-D: banana(b=0.5), donut(radius=2, width=0.3), mixture2d, "
    "funnel(scale=3). Arguments are numbers or constant expressions such as pi/2."
)

# Limits of ``gan-playground sample``, checked before any sampling starts, so a
# mistyped size ends with a message instead of hours of work or an out-of-memory
# crash. The window's spin boxes use the same limits.
MAX_SAMPLES = 10_000_000
"""Largest number of samples to save. Drawing 10^8 samples of gamma(3, 1) by
inverse transform peaked at 4.7 GB, so the limit keeps a command near 0.5 GB."""

MAX_CHAINS = 10_000
"""Largest number of Metropolis-Hastings chains."""

MAX_CHAIN_ITERATIONS = 10_000_000
"""Largest number of Metropolis-Hastings iterations per chain, burn-in included.
Each iteration costs tens of microseconds of Python work whatever the number of
chains, so the limit is minutes of work."""

MAX_CHAIN_STEPS = 1_000_000_000
"""Largest number of chain iterations summed over all chains."""

MAX_PROPOSALS = 1_000_000_000
"""Largest expected number of rejection proposals, samples times M."""
