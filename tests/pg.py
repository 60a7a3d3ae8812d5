"""A fresh PostgreSQL library location per test: one schema on the server of ``VERIFY_TEST_PG_URL``.

``.ci/run`` starts a throw-away server (``.ci/pg-server``) and exports the URL. Without it the
PostgreSQL tests skip, except under CI (``CI`` set), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest


def base_url() -> str:
    url = os.environ.get("VERIFY_TEST_PG_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("VERIFY_TEST_PG_URL is not set: .ci/run must start the PostgreSQL test server")
        pytest.skip("no PostgreSQL test server (set VERIFY_TEST_PG_URL; .ci/run starts one)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail("psycopg is not installed (requirements.txt)")
    return url


@contextmanager
def schema_url() -> Iterator[str]:
    """A URL whose connections use a new, empty schema (dropped afterwards)."""
    import psycopg

    url = base_url()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
