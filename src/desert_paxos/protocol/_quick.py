"""A quicker ``__init__`` for the protocol's frozen, slotted, keyword-only dataclasses.

Theory of operation
-------------------
Every message, effect and logbook record of the core is a frozen, slotted,
keyword-only dataclass, and a simulated delivery builds several of them. The
``__init__`` that ``dataclass`` writes for a frozen class sets each field with
``object.__setattr__`` (the class's own ``__setattr__`` refuses), which finds
the field's slot descriptor on the type and calls it, every time.

:func:`quick_init` gives such a class an ``__init__`` of the very same
signature (keyword-only, the same defaults, the same objects) that calls each
slot descriptor's ``__set__`` directly: what ``object.__setattr__`` ends up
doing, without the search. The class stays the dataclass it was: frozen (an
assignment still raises ``FrozenInstanceError``), slotted, compared, hashed,
printed, matched, replaced and pickled as before; ``dataclasses.fields`` and
the ``__init__`` signature are unchanged. A class with a default factory or a
``__post_init__`` is left as it is, and so is one without fields.
``GENERATED`` keeps each class's generated ``__init__`` (the tests compare them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["GENERATED", "quick_init"]

_C = TypeVar("_C", bound=type)

GENERATED: dict[type, Callable[..., None]] = {}


def quick_init(cls: _C) -> _C:
    """Give the frozen, slotted, keyword-only dataclass ``cls`` the quicker ``__init__``."""
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    fields = dataclasses.fields(cls)
    if (
        not params.frozen
        or "__slots__" not in cls.__dict__
        or not fields
        or hasattr(cls, "__post_init__")
        or any(not f.kw_only or f.default_factory is not dataclasses.MISSING for f in fields)
    ):
        return cls
    namespace: dict[str, Any] = {}
    signature, body = [], []
    for i, f in enumerate(fields):
        namespace[f"_set{i}"] = getattr(cls, f.name).__set__
        if f.default is dataclasses.MISSING:
            signature.append(f.name)
        else:
            namespace[f"_default{i}"] = f.default
            signature.append(f"{f.name}=_default{i}")
        body.append(f"    _set{i}(self, {f.name})")
    source = f"def __init__(self, *, {', '.join(signature)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)
    generated = cls.__dict__["__init__"]
    init = namespace["__init__"]
    init.__qualname__ = generated.__qualname__
    init.__module__ = generated.__module__
    init.__annotations__ = dict(generated.__annotations__)
    GENERATED[cls] = generated
    cls.__init__ = init  # type: ignore[misc]
    return cls
