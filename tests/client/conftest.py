"""Fixtures for client tests: a loopback fake ARI server serving the real Asterisk 23 api-docs."""

from __future__ import annotations

import pytest

from .fakeari import FakeAri


@pytest.fixture
async def fake_ari(traces_dir):
    server = await FakeAri(traces_dir / "api-docs").start()
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
