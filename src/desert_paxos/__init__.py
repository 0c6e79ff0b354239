"""Desert Paxos: the Paxos consensus protocol, made visible.

Five caravans agree on a campsite while sandstorms, collapses and lost riders
fight them. The packages:

* :mod:`desert_paxos.protocol`: the sans-I/O Paxos core (messages in, effects out);
* :mod:`desert_paxos.sim`: the deterministic simulator that drives it;
* :mod:`desert_paxos.check`: the safety invariants checked after every event;
* :mod:`desert_paxos.scenario`: scenario files and the built-in library;
* :mod:`desert_paxos.trace`: the JSON Lines trace every view reads;
* :mod:`desert_paxos.narrate`: the story and protocol voices;
* :mod:`desert_paxos.cli`: the ``desert-paxos`` command.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
