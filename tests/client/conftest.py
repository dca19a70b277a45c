"""Fixtures for client tests: a loopback fake ARI server serving the simulator's api-docs, and
(with the traces) a real Asterisk 23's (``api_docs_dir`` in ``tests/conftest.py``)."""

from __future__ import annotations

import asyncio

import pytest

from .fakeari import FakeAri


@pytest.fixture
async def fake_ari(api_docs_dir):
    server = await FakeAri(api_docs_dir).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client(fake_ari):
    from ari_notebook.client import Client

    c = await Client.connect(fake_ari.url, "asterisk", "asterisk", reconnect_base=0.05, reconnect_max=0.2)
    try:
        yield c
    finally:
        await c.close()


def client_side_tasks() -> list[asyncio.Task]:
    """Tasks left on this test's loop that are not the fake server's own connection handlers
    (those end on the server's schedule, which a busy machine may delay)."""
    left = []
    for t in asyncio.all_tasks():
        if t is asyncio.current_task():
            continue
        code = getattr(t.get_coro(), "cr_code", None)
        if code is not None and "aiohttp/web_" in code.co_filename:
            continue
        left.append(t)
    return left
