"""Jejak: venue QR check-in, entry screening and contact tracing."""

__version__ = "0.1.0"
