"""The GitLab CI template under gitlab-ci-local (see provision.py)."""
