"""The Poetry and PDM oracles: pinned releases, provisioned once, run offline."""
