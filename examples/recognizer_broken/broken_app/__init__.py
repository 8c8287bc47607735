"""Planted bugs for the broken copy of the digit-line reader (see ../README.md)."""
