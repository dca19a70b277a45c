"""Fixtures for client tests: a loopback fake ARI server serving the simulator's api-docs, and
(with the traces) a real Asterisk 23's (``api_docs_dir`` in ``tests/conftest.py``)."""

from __future__ import annotations

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
