"""What tools/plot_traces.py and tools/plot_sweep.py share: writing a figure atomically."""
import os

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def save(fig, folder, name, dpi):
    """Writes the figure as PNG atomically: a temporary next to the destination, then a rename."""
    path = os.path.join(folder, name)
    temporary = os.path.join(folder, ".%s.tmp.%d" % (name, os.getpid()))
    fig.tight_layout()
    try:
        fig.savefig(temporary, dpi=dpi, format="png")
        os.replace(temporary, path)
    finally:
        plt.close(fig)
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
