"""Finding members by name, fast (``docs/decisions/0004-name-dictionary.md``)."""

from .dictionary import ensure_names

__all__ = ["ensure_names"]
