"""Check an Asterisk server's ARI setup step by step and say which setting to fix.

``report = await doctor.check(url, username, password, origin=None, ssl=None)`` runs the
checks in the order a newcomer's setup usually breaks: TCP reachability, TLS certificate,
HTTP server, ARI enabled, credentials, read-only or not, WebSocket upgrade, CORS for an
Origin, API version and registered apps. Each failed check names the file and setting
(``http.conf``/``ari.conf``/``modules.conf``) to change. A check that cannot run because an
earlier one failed is ``skip``, not ``fail``, so the first failure is the one to fix.

Plain aiohttp on purpose: the doctor must work when our own client cannot connect at all.
The WebSocket probe uses a fresh connector, because Asterisk can leave a stale second
response on a keep-alive connection after a refused upgrade (see the traces README).
The password is sent only in the ``Authorization`` header and never stored on the report.
"""

from __future__ import annotations

import asyncio
import base64
import html
import secrets
import ssl as _ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

__all__ = ["Check", "DoctorReport", "check", "OK", "WARN", "FAIL", "SKIP", "INFO"]

OK, WARN, FAIL, SKIP, INFO = "ok", "warn", "fail", "skip", "info"
_SYMBOL = {OK: "✔", WARN: "!", FAIL: "✘", SKIP: "–", INFO: "i"}
_COLOUR = {OK: "#1a7f37", WARN: "#9a6700", FAIL: "#cf222e", SKIP: "#6e7781", INFO: "#0969da"}

#: The probe's WebSocket app and user event names: unlikely to clash with a real app.
PROBE_PREFIX = "ari-notebook-doctor"


@dataclass
class Check:
    """One line of the report: what was checked, how it went, and what to change."""

    name: str
    status: str
    summary: str
    fix: str = ""
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclass
class DoctorReport:
    """The ordered checks for one server; renders as a table in a notebook and a terminal."""

    url: str
    username: str
    checks: list[Check] = field(default_factory=list)
    origin: str | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and skips caused by nothing failing are fine)."""
        return not any(c.failed for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    def __getitem__(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def __repr__(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks) for s in (OK, WARN, FAIL, SKIP, INFO)}
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        return f"<DoctorReport {self.url} user={self.username!r}: {shown}>"

    def to_text(self) -> str:
        """A plain table for the terminal: status, check, finding, and an indented fix line."""
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [f"ARI doctor for {self.url} (user {self.username})", ""]
        for c in self.checks:
            lines.append(f" {_SYMBOL[c.status]} {c.status.upper():4}  {c.name:<{width}}  {c.summary}")
            if c.detail:
                lines.append(f"   {'':4}  {'':<{width}}  {c.detail}")
            if c.fix and c.status in (FAIL, WARN):
                lines.append(f"   {'':4}  {'':<{width}}  fix: {c.fix}")
        lines.append("")
        if self.ok:
            lines.append("No check failed.")
        else:
            first = self.failures[0]
            lines.append(f"{len(self.failures)} check(s) failed; start with '{first.name}'.")
        return "\n".join(lines)

    __str__ = to_text

    def _repr_html_(self) -> str:
        rows = []
        for c in self.checks:
            fix = html.escape(c.fix) if c.fix and c.status in (FAIL, WARN) else ""
            detail = f"<br><small>{html.escape(c.detail)}</small>" if c.detail else ""
            rows.append(
                f"<tr><td style='color:{_COLOUR[c.status]};font-weight:bold;text-align:left'>"
                f"{_SYMBOL[c.status]} {c.status}</td>"
                f"<td style='text-align:left'>{html.escape(c.name)}</td>"
                f"<td style='text-align:left'>{html.escape(c.summary)}{detail}</td>"
                f"<td style='text-align:left'>{f'<code>{fix}</code>' if fix else ''}</td></tr>")
        verdict = ("<span style='color:#1a7f37'>no check failed</span>" if self.ok else
                   f"<span style='color:#cf222e'>{len(self.failures)} failed — start with "
                   f"<b>{html.escape(self.failures[0].name)}</b></span>")
        return (f"<div class='ari-doctor'><b>ARI doctor</b> for <code>{html.escape(self.url)}</code> "
                f"(user <code>{html.escape(self.username)}</code>): {verdict}"
                "<table><thead><tr>" + "".join(f"<th style='text-align:left'>{h}</th>" for h in (
                    "status", "check", "finding", "what to change")) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


# --------------------------------------------------------------------------- helpers

def _split_url(url: str) -> tuple[str, str, int, bool]:
    """(root URL without credentials or /ari, host, port, is_tls)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r}: use http:// or https://")
    tls = parts.scheme in ("https", "wss")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if tls else 80)
    path = parts.path.rstrip("/")
    if path.endswith("/ari"):
        path = path[: -len("/ari")]
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    root = urlunsplit(("https" if tls else "http", netloc, path, "", ""))
    return root, host, port, tls


def _ssl_context(ssl: Any, cafile: str | None) -> _ssl.SSLContext:
    if isinstance(ssl, _ssl.SSLContext):
        return ssl
    return _ssl.create_default_context(cafile=cafile)


async def _json_or_text(resp: aiohttp.ClientResponse) -> Any:
    text = await resp.text(errors="replace")
    try:
        import json

        return json.loads(text)
    except ValueError:
        return text


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return " ".join(str(body).split())[:120]


# --------------------------------------------------------------------------- the checks

async def _probe_tcp(host: str, port: int, timeout: float) -> str | None:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return None


async def _probe_tls(host: str, port: int, ctx: _ssl.SSLContext, timeout: float) -> tuple[str, str, str]:
    """(status, summary, detail) for the server certificate as seen with ``ctx``."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), timeout)
    except _ssl.SSLCertVerificationError as exc:
        code = getattr(exc, "verify_code", None)
        why = getattr(exc, "verify_message", "") or str(exc)
        if code in (18, 19):
            return FAIL, f"self-signed certificate, not trusted ({why})", "self-signed"
        if code == 20:  # signed by a CA this machine does not know (a private CA)
            return FAIL, f"certificate from an unknown CA, not trusted ({why})", "unknown-ca"
        return FAIL, f"certificate not valid: {why}", f"verify code {code}"
    except _ssl.SSLError as exc:
        return FAIL, f"TLS handshake failed: {exc.reason or exc}", "handshake"
    except (OSError, asyncio.TimeoutError) as exc:
        return FAIL, f"TLS connection failed: {exc or type(exc).__name__}", "connect"
    sslobj = writer.get_extra_info("ssl_object")
    cert = sslobj.getpeercert() if sslobj else None
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, _ssl.SSLError):
        pass
    if cert and cert.get("subject") == cert.get("issuer"):
        return OK, ("certificate valid; it is self-signed and trusted only because its CA/certificate "
                    "was given"), "self-signed"
    expires = cert.get("notAfter", "?") if cert else "?"
    return OK, f"certificate valid (expires {expires})", ""


def _describe_apps(apps: list[dict]) -> tuple[str, str]:
    """(summary, detail) of GET /applications, saying only what the listing proves.

    Asterisk keeps an application listed after its last WebSocket closed while it still holds
    channels, bridges or endpoints, and drops it only at its next registry clean-up (run when any
    app registers, as the WebSocket check's probe app just did). So after that probe an app listed
    with nothing is connected, but one holding channels may be a program that went away and left
    its calls up: no listing tells which.
    """
    detail = ("Asterisk lists an app while a WebSocket for it is open, and after that closed for "
              "as long as the app still holds channels or bridges")
    if not apps:
        return "no Stasis app connected: calls reaching Stasis(app) in the dialplan will be hung up", detail
    connected, holding = [], []
    for app in sorted(apps, key=lambda a: str(a.get("name", "?"))):
        held = {kind: len(app.get(f"{kind}_ids") or []) for kind in ("channel", "bridge", "endpoint")}
        if any(held.values()):
            what = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in held.items() if n)
            holding.append(f"{app.get('name', '?')} ({what})")
        else:
            connected.append(str(app.get("name", "?")))
    parts = []
    if connected:
        parts.append(f"{len(connected)} Stasis app(s) connected: {', '.join(connected)}")
    if holding:
        parts.append(f"{len(holding)} listed with calls, connected or left over by a program that went away "
                     f"(no listing tells which): {', '.join(holding)}")
    return "; ".join(parts), detail


class _Stop(Exception):
    """A step whose failure makes the later steps meaningless: they are reported as skipped."""

    def __init__(self, check: Check, reason: str) -> None:
        super().__init__(reason)
        self.check = check
        self.reason = reason


@dataclass
class _Probe:
    """What the steps share: the target, and what earlier steps found out."""

    root: str
    host: str
    port: int
    tls: bool
    username: str
    origin: str | None
    timeout: float
    auth: dict[str, str]
    verify_ctx: _ssl.SSLContext | None
    session: aiohttp.ClientSession
    request_ssl: Any = True
    probe_app: str = field(default_factory=lambda: f"{PROBE_PREFIX}-{secrets.token_hex(4)}")
    anon_status: int = 0
    docs_body: Any = None
    info: Any = None

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        """``GET /ari<path>`` with the credentials: (status, JSON body or text)."""
        return await self.request("GET", path, **kwargs)

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      **kwargs: Any) -> tuple[int, Any]:
        async with self.session.request(method, f"{self.root}/ari{path}", headers={**self.auth, **(headers or {})},
                                        ssl=self.request_ssl, **kwargs) as resp:
            return resp.status, await _json_or_text(resp)


async def _reachable(p: _Probe) -> Check:
    err = await _probe_tcp(p.host, p.port, p.timeout)
    if err:
        bind = f"tlsbindaddr = {p.host}:{p.port}" if p.tls else f"bindaddr = {p.host} and bindport = {p.port}"
        raise _Stop(Check("reachable", FAIL, f"no TCP connection to {p.host}:{p.port} ({err})",
                          fix=(f"http.conf [general]: enabled = yes and {bind} (an address this machine can "
                               "reach); check firewalls and that Asterisk runs "
                               "(`asterisk -rx \"http show status\"`)")), "the server is not reachable")
    return Check("reachable", OK, f"TCP connection to {p.host}:{p.port} works")


async def _tls(p: _Probe) -> Check:
    if not p.tls:
        loopback = p.host in ("127.0.0.1", "::1", "localhost")
        return Check("TLS certificate", INFO if loopback else WARN,
                     "plain HTTP: the password and every call travel unencrypted"
                     + (" (acceptable on loopback)" if loopback else ""),
                     fix=("http.conf: tlsenable = yes, tlsbindaddr = 0.0.0.0:8089, tlscertfile = ..., "
                          "tlsprivatekey = ...; then use https:// and wss://"))
    status, summary, kind = await _probe_tls(p.host, p.port, p.verify_ctx, p.timeout)
    fix = ""
    if status == FAIL and kind == "self-signed":
        fix = ("pass the certificate as CA (`--cafile cert.pem`, or ssl=ssl.create_default_context"
               "(cafile=...)), or in http.conf set tlscertfile/tlsprivatekey to a certificate from a "
               "trusted CA")
    elif status == FAIL and kind == "unknown-ca":
        fix = ("pass your CA's certificate (`--cafile ca.pem`, or ssl=ssl.create_default_context"
               "(cafile=...)); http.conf tlscertfile should hold the server certificate followed by "
               "any intermediate CA certificates")
    elif status == FAIL and kind != "connect":
        fix = ("http.conf: tlscertfile and tlsprivatekey must name a certificate valid for "
               f"'{p.host}' and its key; reload with `asterisk -rx \"reload http\"`")
    elif status == FAIL:
        fix = "http.conf: tlsenable = yes and tlsbindaddr = <address>:<port> matching this URL"
    found = Check("TLS certificate", status, summary, fix=fix)
    if status == FAIL and kind == "connect":
        raise _Stop(found, "no TLS connection")
    # Keep diagnosing past an untrusted certificate: the remaining findings still help.
    p.request_ssl = p.verify_ctx if status == OK else False
    return found


async def _http_server(p: _Probe) -> Check:
    """Without credentials: Asterisk answers /ari/api-docs with 401 (or 404 if ARI is off)."""
    try:
        async with p.session.get(f"{p.root}/ari/api-docs/resources.json", ssl=p.request_ssl) as resp:
            p.anon_status = resp.status
            server = resp.headers.get("Server", "")
            await resp.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise _Stop(Check("HTTP server", FAIL, f"the port accepts connections but does not speak HTTP"
                          f"{'S' if p.tls else ''} ({type(exc).__name__}: {exc})",
                          fix=(f"http.conf: is {p.host}:{p.port} Asterisk's "
                               f"{'tlsbindaddr' if p.tls else 'bindport'}? "
                               "use http:// with bindport and https:// with tlsbindaddr")), "no HTTP server")
    server_note = f"Server: {server}" if server else "no Server header"
    return Check("HTTP server", OK if server.startswith("Asterisk") else WARN, f"HTTP server answers ({server_note})",
                 fix="" if server.startswith("Asterisk") else
                 "this may not be Asterisk (http.conf servername changes the header; a proxy may hide it)")


async def _ari_enabled(p: _Probe) -> Check:
    """With credentials: 200 or 401 both prove res_ari is there."""
    docs_status, p.docs_body = await p.get("/api-docs/resources.json")
    if docs_status == 404 or p.anon_status == 404:
        raise _Stop(Check("ARI enabled", FAIL, "/ari/api-docs/resources.json is 404: ARI is not enabled",
                          fix=("ari.conf [general]: enabled = yes; make sure res_ari.so and the res_ari_* "
                               "modules are loaded (modules.conf), then `asterisk -rx \"module reload "
                               "res_ari.so\"`; if http.conf sets a prefix, put it in the URL "
                               "(http://host:8088/<prefix>)")), "ARI is not enabled")
    if docs_status not in (200, 401):
        return Check("ARI enabled", FAIL, f"/ari/api-docs/resources.json answered {docs_status} "
                     f"{_message(p.docs_body)}",
                     fix="ari.conf [general]: enabled = yes; check the Asterisk log for res_ari errors")
    return Check("ARI enabled", OK, "ARI answers at /ari (api-docs found)")


async def _credentials(p: _Probe) -> Check:
    info_status, p.info = await p.get("/asterisk/info")
    if info_status == 401:
        raise _Stop(Check("credentials", FAIL, f"user '{p.username}' was refused (401 {_message(p.info)})",
                          fix=(f"ari.conf: a section [{p.username}] with type = user, password = <the password>, "
                               "password_format = plain (or crypt with a hash from `ari mkpasswd`); "
                               "then `asterisk -rx \"module reload res_ari.so\"`")), "the credentials were refused")
    if info_status != 200:
        return Check("credentials", FAIL, f"GET /ari/asterisk/info answered {info_status} {_message(p.info)}")
    return Check("credentials", OK, f"user '{p.username}' is accepted")


async def _read_only(p: _Probe) -> Check:
    """A user event to an app that cannot exist changes nothing: 403 = read-only, 404
    "Application not found" (or 400/422) = may write."""
    status, body = await p.request("POST", f"/events/user/{PROBE_PREFIX}", params={"application": p.probe_app})
    if status == 403:
        return Check("read-only", WARN, f"user '{p.username}' is read-only (403 {_message(body)}): "
                     "it can watch but not originate, answer or hang up",
                     fix=f"ari.conf [{p.username}]: read_only = no, if this user should control calls")
    if status in (400, 404, 422):
        return Check("read-only", OK, f"user '{p.username}' may write (probe answered {status} "
                     f"{_message(body)}, nothing was changed)")
    return Check("read-only", WARN, f"write probe answered {status} {_message(body)}")


async def _websocket(p: _Probe) -> Check:
    """The upgrade, on a fresh connector (never a pooled keep-alive connection)."""
    ws_url = f"{p.root.replace('http', 'ws', 1)}/ari/events"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=p.timeout),
                                         connector=aiohttp.TCPConnector(force_close=True)) as wss:
            async with wss.ws_connect(ws_url, params={"app": p.probe_app}, headers=p.auth, ssl=p.request_ssl,
                                      heartbeat=None, autoping=True) as ws:
                await ws.close()
    except aiohttp.WSServerHandshakeError as exc:
        fix = ("load res_http_websocket.so (modules.conf: load => res_http_websocket.so) and "
               "res_ari_events.so, then restart Asterisk")
        if exc.status == 401:
            fix = f"ari.conf [{p.username}]: the password is refused for the WebSocket too"
        return Check("WebSocket", FAIL, f"the upgrade of /ari/events was refused ({exc.status} {exc.message})",
                     fix=fix)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return Check("WebSocket", FAIL, f"the upgrade of /ari/events failed ({type(exc).__name__}: {exc})",
                     fix="load res_http_websocket.so (modules.conf) and check no proxy strips Upgrade headers")
    return Check("WebSocket", OK, "the events WebSocket upgrade works (101)")


async def _cors(p: _Probe) -> Check:
    if p.origin is None:
        return Check("CORS", SKIP, "no Origin given (pass origin=... / --origin to test one)")
    async with p.session.get(f"{p.root}/ari/asterisk/ping", headers={**p.auth, "Origin": p.origin},
                             ssl=p.request_ssl) as resp:
        acao = resp.headers.get("Access-Control-Allow-Origin")
        await resp.read()
    if acao in (p.origin, "*"):
        return Check("CORS", OK, f"Origin {p.origin} is allowed (Access-Control-Allow-Origin: {acao})",
                     detail="a web page on that origin can call ARI with these credentials: "
                            "allow only development hosts, never a public site")
    return Check("CORS", FAIL, f"Origin {p.origin} is not allowed (no Access-Control-Allow-Origin)",
                 fix=(f"ari.conf [general]: allowed_origins = {p.origin} (comma-separated list), "
                      "then `asterisk -rx \"module reload res_ari.so\"` — only for development "
                      "tools; browsers should talk to your application server, not to ARI"))


async def _api_version(p: _Probe) -> Check:
    api_version = p.docs_body.get("apiVersion") if isinstance(p.docs_body, dict) else None
    system = p.info.get("system", {}) if isinstance(p.info, dict) else {}
    asterisk_version = system.get("version")
    if api_version or asterisk_version:
        return Check("API version", INFO, f"ARI {api_version or '?'} on Asterisk {asterisk_version or '?'}")
    return Check("API version", WARN, "could not read apiVersion from resources.json")


async def _registered_apps(p: _Probe) -> Check:
    status, apps = await p.get("/applications")
    if status == 200 and isinstance(apps, list):
        return Check("registered apps", INFO, *_describe_apps(
            [a for a in apps if isinstance(a, dict) and not str(a.get("name", "")).startswith(PROBE_PREFIX)]))
    return Check("registered apps", WARN, f"GET /ari/applications answered {status} {_message(apps)}")


#: the checks in the order a newcomer's setup usually breaks (the report's rows)
STEPS = (("reachable", _reachable), ("TLS certificate", _tls), ("HTTP server", _http_server),
         ("ARI enabled", _ari_enabled), ("credentials", _credentials), ("read-only", _read_only),
         ("WebSocket", _websocket), ("CORS", _cors), ("API version", _api_version),
         ("registered apps", _registered_apps))


async def check(url: str, username: str, password: str, *, origin: str | None = None,
                ssl: Any = None, cafile: str | None = None, timeout: float = 5.0) -> DoctorReport:
    """Run every check against ``url`` (root URL, or ending in ``/ari``) and return the report.

    ``ssl``: an ``SSLContext`` to verify the server with (or ``None`` for the system CAs, plus
    ``cafile`` if given). ``origin``: the web origin to test CORS for; skipped when ``None``.
    Never raises for a server problem: every problem is a failed check in the report.
    """
    root, host, port, tls = _split_url(url)
    report = DoctorReport(url=root, username=username, origin=origin)
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        probe = _Probe(root, host, port, tls, username, origin, timeout,
                       auth={"Authorization": f"Basic {token}"},  # in a header only, never in a URL
                       verify_ctx=_ssl_context(ssl, cafile) if tls else None, session=session)
        for i, (_name, step) in enumerate(STEPS):
            try:
                report.checks.append(await step(probe))
            except _Stop as stop:
                report.checks.append(stop.check)
                report.checks.extend(Check(name, SKIP, f"not checked: {stop.reason}") for name, _ in STEPS[i + 1:])
                break
    return report
