import attrs

VERSION = "0.4.0"
__all__ = ["VERSION", "attrs"]
