"""End-to-end: real BuildKit builds of generated Dockerfiles (LOCKSTRIP_E2E=1; see provision.py)."""
