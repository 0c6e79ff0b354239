"""Pictures of a run, read from its trace: a self-contained HTML viewer and an animated GIF.

``write_html(header, events, path)`` writes the space-time viewer page;
``write_gif(header, events, path, max_frames=120)`` writes the desert-map
animation (Pillow, imported only when a GIF is drawn). Both take what
:func:`desert_paxos.trace.read_trace` returns, or the header and events an
observer collected from a live :class:`~desert_paxos.sim.Simulation`.
"""

from ._gif import MAX_FRAMES, GifStep, gif_frames, gif_steps, write_gif
from ._html import page_data, render_html, write_html
from ._model import CaravanState, Rider, RunModel, Storm, build_model

__all__ = [
    "MAX_FRAMES",
    "CaravanState",
    "GifStep",
    "Rider",
    "RunModel",
    "Storm",
    "build_model",
    "gif_frames",
    "gif_steps",
    "page_data",
    "render_html",
    "write_gif",
    "write_html",
]
