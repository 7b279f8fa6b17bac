"""Laufzettel: the electronic routing slip for tiered IT support."""

__version__ = "0.1.0"
