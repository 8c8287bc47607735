"""The reference handwriting recognizer (needs the ``torch`` extra)."""
