"""The fitting chart: the audiogram (audiometric conventions) beside the prescribed gain per band.

Audiogram: frequency on a log axis, dB HL increasing downwards, right ear O in red, left ear X in
blue. Gain: insertion gain per band for speech at 50, 65 and 80 dB SPL, both ears, so the
compression (more gain for soft sound) is visible.
"""

from __future__ import annotations

from pathlib import Path

from openhear.errors import OpenhearError
from openhear.fitting.profile import FittingProfile

TICKS_HZ = (125, 250, 500, 1000, 2000, 4000, 8000)
SPEECH_LEVELS_DB_SPL = (50.0, 65.0, 80.0)
EAR_STYLE = {"right": ("o", "tab:red", "-"), "left": ("x", "tab:blue", "--")}


def check_chart_path(path: str | Path) -> Path:
    """`path` if the chart can be written there exactly as named; else a one-line OpenhearError.

    The format comes from the suffix (.png, .svg, .pdf or another that matplotlib writes). Given a
    directory or a name without such a suffix, matplotlib would quietly write PATH.png instead,
    so those are refused.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(path)
    if path.is_dir():
        raise OpenhearError(f"cannot write chart {path}: it is a directory")
    if path.suffix[1:].lower() not in FigureCanvasAgg.get_supported_filetypes():
        raise OpenhearError(
            f"cannot write chart {path}: name an image file ending in .png, .svg or .pdf"
            " (or another format matplotlib writes)"
        )
    return path


def draw_fitting_chart(profile: FittingProfile, path: str | Path) -> None:
    """Write the chart as an image at exactly `path` (format from its suffix: check_chart_path)."""
    path = check_chart_path(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    fig, (ax_hl, ax_gain) = plt.subplots(1, 2, figsize=(11, 4.8))
    name = f" ({profile.listener.name})" if profile.listener.name else ""
    for side in ("right", "left"):
        ear = profile.listener.ear(side)
        marker, color, line = EAR_STYLE[side]
        ax_hl.plot(
            ear.frequencies_hz,
            ear.levels_db_hl,
            marker=marker,
            color=color,
            linestyle=line,
            markersize=9,
            markerfacecolor="none",
            markeredgewidth=2,
            label=f"{side} ear",
        )
    ax_hl.set_title(f"Audiogram{name}")
    ax_hl.set_ylim(120, -10)
    ax_hl.set_ylabel("Hearing threshold (dB HL)")

    for side in ("right", "left"):
        fitting = profile.ear(side)
        offsets = profile.adjustments.offsets_db(fitting.centers_hz, side)
        _, color, line = EAR_STYLE[side]
        for level, alpha in zip(SPEECH_LEVELS_DB_SPL, (1.0, 0.7, 0.4), strict=False):
            ax_gain.plot(
                fitting.centers_hz,
                fitting.gains_db_for_speech(level, offsets),
                color=color,
                linestyle=line,
                alpha=alpha,
                marker=".",
                label=f"{side}, {level:.0f} dB SPL speech",
            )
    ax_gain.set_title(f"Prescribed gain per band ({profile.prescription} + WDRC)")
    ax_gain.set_ylabel("Insertion gain (dB)")
    ax_gain.axhline(0.0, color="0.6", linewidth=0.8)

    for ax in (ax_hl, ax_gain):
        ax.set_xscale("log")
        ax.set_xlim(100, 10000)
        ax.xaxis.set_major_locator(FixedLocator(TICKS_HZ))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t // 1000}k" if t >= 1000 else str(t) for t in TICKS_HZ])
        ax.set_xlabel("Frequency (Hz)")
        ax.grid(True, which="major", alpha=0.4)
        ax.legend(fontsize=8, loc="lower left" if ax is ax_hl else "upper left")
    fig.tight_layout()
    try:
        fig.savefig(str(path), dpi=110)
    except (OSError, ValueError) as exc:
        raise OpenhearError(f"cannot write chart {path} ({exc})") from None
    finally:
        plt.close(fig)
