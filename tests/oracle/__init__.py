"""A generative uv oracle: seeded projects, locked by real uv against a local index, whose
exports uv must read as it reads the originals (see generate.py, universe.py, compare.py)."""
