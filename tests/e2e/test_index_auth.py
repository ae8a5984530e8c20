"""The private index of the deployment test answers 401 without the right credentials, so a
build that installs from it proves the credentials reached uv. No builder needed."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from e2e.index import serve, write_wheel


def _get(url: str, credentials: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url)
    if credentials is not None:
        token = base64.b64encode(":".join(credentials).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    ("credentials", "status"),
    [(None, 401), (("bot", "wrong"), 401), (("other", "s3cret"), 401), (("bot", "s3cret"), 200)],
)
def test_private_index_needs_its_credentials(
    tmp_path: Path, credentials: tuple[str, str] | None, status: int
) -> None:
    wheel = write_wheel(tmp_path, "alpha", "1.0.0")
    with serve(tmp_path, auth=("bot", "s3cret")) as index:
        assert _get(f"{index.url}/alpha/", credentials) == status
        assert _get(index.url.replace("/simple", f"/files/{wheel.name}"), credentials) == status
        refused = [r for r in index.served_since(0) if r.endswith("(401)")]
        assert len(refused) == (2 if status == 401 else 0)
