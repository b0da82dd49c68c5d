"""The root of clobnode's exception tree: every component raises a subclass of ClobnodeError."""

from __future__ import annotations


class ClobnodeError(Exception):
    """Base of every error clobnode raises on purpose; each component subclasses it once."""
