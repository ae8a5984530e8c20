"""What the repository's CI integrations run: the GitHub Action's steps (action.yml)."""
