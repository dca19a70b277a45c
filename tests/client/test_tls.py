"""https + wss: verification on by default, a CA file for a self-signed certificate (the case in
ari-setup-notes.txt), and an explicit opt-out that warns."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import warnings

import pytest

from ari_notebook._errors import TransportError
from ari_notebook.client import Client, InsecureConnectionWarning

from .fakeari import FakeAri


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    pem = folder / "foo.pem"
    subprocess.run(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-newkey", "rsa:2048",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-out", str(pem), "-keyout", str(pem)], check=True, capture_output=True)
    return pem


@pytest.fixture
async def tls_server(api_docs_dir, self_signed):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(self_signed)
    server = await FakeAri(api_docs_dir).start(ssl_context=ctx)
    try:
        yield server
    finally:
        await server.stop()


async def test_verification_is_on_by_default(tls_server):
    assert tls_server.url.startswith("https://")
    with pytest.raises(TransportError, match="(?i)certificate"):
        await Client.connect(tls_server.url, "asterisk", "asterisk")


async def test_ca_file_for_a_self_signed_certificate_covers_rest_and_wss(tls_server, self_signed):
    async with await Client.connect(tls_server.url, "asterisk", "asterisk", ssl=str(self_signed)) as c:
        assert (await c.asterisk.getInfo()).system["version"] == "23.4.1"
        await c.start(apps="hello")
        assert c.connection_state == "connected"
        assert c.events_url.startswith("wss://")
        waiter = c.wait_for("StasisStart", timeout=5)
        await tls_server.push({"type": "StasisStart", "channel": {"id": "x"}})
        assert (await waiter)["channel"]["id"] == "x"


async def test_ssl_context_is_accepted(tls_server, self_signed):
    ctx = ssl.create_default_context(cafile=str(self_signed))
    async with await Client.connect(tls_server.url, "asterisk", "asterisk", ssl=ctx) as c:
        assert len(await c.channels.list()) == 20


async def test_verify_false_works_and_warns(tls_server):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = await Client.connect(tls_server.url, "asterisk", "asterisk", verify=False)
    try:
        assert any(issubclass(w.category, InsecureConnectionWarning) for w in caught)
        await c.start(apps="hello")
        assert c.connection_state == "connected"
    finally:
        await c.close()
