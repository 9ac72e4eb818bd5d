"""Limits on user settings that the window, the command line and the models share.

Plain Python without numpy, so the command line's parser can import it and still
print ``--help`` fast.
"""

from __future__ import annotations

SEED_MAX = 2**31 - 1
"""Largest seed. The window's spin boxes hold 32-bit signed integers, and one limit
lets every seed written by the command line open in the window."""

MAX_RUN_BYTES = 4 * 2**30
"""Largest estimated memory of one training run, 4 GiB.

Runs above it are rejected before anything is allocated, so a mistyped size ends
with a message instead of an out-of-memory crash on a laptop of 8 GB."""


# Upper limits of the training sizes, shared by the window's spin boxes and the
# command line. Within them, a run's estimated memory must also stay under
# MAX_RUN_BYTES, because the largest sizes together need far more.
MAX_STEPS = 10_000_000
MAX_LATENT_DIM = 512
MAX_LATENT_CATEGORIES = 4096
MAX_LAYERS = 16
MAX_WIDTH = 4096
MAX_GAN_BATCH_SIZE = 65_536
MAX_D_STEPS = 100
MAX_PACK = 16

MAX_MMD_BATCH_SIZE = 8192
"""Largest batch of the MMD generator. Its loss builds kernel matrices of batch²
entries per bandwidth scale, so a batch of 8,192 with one scale already takes
about 2 GiB."""

MAX_BANDWIDTH_SCALES = 16


class SettingError(ValueError):
    """An invalid setting, with the setting's name and the rule it breaks.

    ``str(error)`` is ``f"{field} {requirement}"``. A caller that knows the
    setting under another name, such as the command line's ``--lr`` for ``g_lr``,
    can build its own message from ``requirement``.

    Parameters
    ----------
    field : str
        Name of the setting, such as ``"batch_size"``.
    requirement : str
        The rest of the message, such as ``"must be from 1 to 65536, got 0"``.
    """

    def __init__(self, field: str, requirement: str):
        super().__init__(f"{field} {requirement}")
        self.field = field
        self.requirement = requirement


def format_bytes(count: float) -> str:
    """Format a byte count with 3 significant digits and a binary unit, such as
    ``4.03 GiB``."""
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{int(value)} bytes"
    if value >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def check_whole_number(field: str, value, low: int, high: int) -> int:
    """Return ``value`` as an int, or raise SettingError unless it is a whole
    number from ``low`` to ``high``."""
    number = value
    if isinstance(value, float) and value.is_integer():
        number = int(value)
    whole = isinstance(number, int) and not isinstance(number, bool)
    if not whole or not low <= number <= high:
        raise SettingError(
            field, f"must be a whole number from {low:,} to {high:,}, got {value!r}"
        )
    return number


def check_seed(value, field: str = "seed") -> int:
    """Return the seed as an int, or raise SettingError outside 0 to `SEED_MAX`."""
    return check_whole_number(field, value, 0, SEED_MAX)
