"""``/asterisk/*``: info, ping, global variables, modules, log channels, dynamic config objects.

The facts (version 23.4.1, entity id, build, module list) are those of the reference machine
the traces were recorded on; the quirks are Asterisk 23's own, each named where it is coded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..backend.core import AriFailure, component
from ..routing import ROUTES, body, path, query

VERSION = "23.4.1"
BUILD = {"os": "Linux", "kernel": "6.18.44-fc-v669", "machine": "x86_64", "options": "OPTIONAL_API",
         "date": "2026-11-26 03:14:57 UTC", "user": "root"}
CONFIG = {"name": "", "default_language": "en", "setid": {"user": "root", "group": "root"}}
LOG_DIR = "/var/log/asterisk"

# Which modules answer a reload. Asterisk knows per module (a reload callback or not); the
# reference machine only showed app_echo refusing. Rule of thumb, true for the stock modules:
# applications, functions, formats, codecs and bridge technologies have no reload callback;
# resources, channel drivers, pbx/cdr/cel back-ends and the reloadable core parts do.
_RELOADABLE_PREFIXES = ("res_", "chan_", "pbx_", "cdr_", "cel_")
_RELOADABLE_CORE = {"acl", "cdr", "cel", "dnsmgr", "enum", "extconfig", "features", "http",
                    "indications", "logger", "manager", "plc", "udptl", "ccss", "dsp"}


@dataclass
class Module:
    name: str
    description: str
    use_count: int
    support_level: str
    running: bool = True

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "use_count": self.use_count,
                "status": "Running" if self.running else "Not Running", "support_level": self.support_level}

    @property
    def reloadable(self) -> bool:
        return self.name.startswith(_RELOADABLE_PREFIXES) or self.name in _RELOADABLE_CORE


def _packaged_modules() -> list[Module]:
    text = resources.files("ari_notebook.sim").joinpath("data/modules.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, use_count, level, description = line.split("\t", 3)
            out.append(Module(name, description, int(use_count), level))
    return out


@dataclass
class LogChannel:
    channel: str
    type: str
    configuration: str
    status: str = "Enabled"

    def json(self) -> dict[str, str]:
        return {"channel": self.channel, "type": self.type, "status": self.status,
                "configuration": self.configuration}


@component
class AsteriskSystem:
    """Per-simulator state of ``/asterisk``: globals, modules, log channels, sorcery objects."""

    def __init__(self, ast: Any) -> None:
        self.ast = ast
        config = ast.config
        self.globals: dict[str, str] = dict(getattr(config, "globals", None) or {})
        self.last_reload_time = ast.startup_time
        self.modules: dict[str, Module] = {m.name: m for m in _packaged_modules()}
        self.log_channels: list[LogChannel] = [
            LogChannel(f"{LOG_DIR}/messages", "File", "NOTICE WARNING ERROR VERBOSE "),
            LogChannel("", "Console", "NOTICE WARNING ERROR VERBOSE "),
        ]
        # sorcery: {configClass: {objectType: {id: (fields, static)}}}
        self.sorcery: dict[str, dict[str, dict[str, tuple[list[dict], bool]]]] = {}
        endpoints = getattr(config, "endpoints", None) or {}
        pjsip = [name.split("/", 1)[1] for name in endpoints if name.lower().startswith("pjsip/")]
        if pjsip:  # res_pjsip exists only when PJSIP endpoints are simulated (the trace box had none)
            objects = self.sorcery.setdefault("res_pjsip", {"endpoint": {}, "aor": {}, "auth": {}})
            for res in pjsip:
                objects["endpoint"][res] = (_tuples(context="default", disallow="all", allow="ulaw",
                                                    aors=res, auth=res), True)
                objects["aor"][res] = (_tuples(max_contacts="1"), True)
                objects["auth"][res] = (_tuples(auth_type="userpass", username=res), True)

    def info(self) -> dict[str, Any]:
        ast = self.ast
        startup = ast.startup_time
        return {
            "build": dict(BUILD),
            "system": {"version": getattr(ast.config, "asterisk_version", VERSION), "entity_id": ast.asterisk_id},
            "config": {**CONFIG, "setid": dict(CONFIG["setid"])},
            "status": {"startup_time": _ts(startup), "last_reload_time": _ts(self.last_reload_time)},
        }

    def module(self, name: str) -> Module | None:
        mod = self.modules.get(name) or self.modules.get(f"{name}.so")
        return mod if mod is not None and mod.running else None


def _ts(epoch: float) -> str:
    from ...spec.dates import ari_timestamp

    return ari_timestamp(epoch)


def _tuples(**fields: str) -> list[dict[str, str]]:
    return [{"attribute": k, "value": v} for k, v in fields.items()]


def _state(ast: Any) -> AsteriskSystem:
    return ast.component(AsteriskSystem)


# ---- info / ping --------------------------------------------------------------------------

@ROUTES.route("asterisk", "GET", "/asterisk/info", "getInfo", "AsteriskInfo",
              params=[query("only", "Filter the sections returned", multiple=True,
                            values=("build", "system", "config", "status"))],
              summary="Information about the Asterisk instance.", since=("12.0.0",))
def get_info(ast, call):
    info = _state(ast).info()
    only = [s.strip().lower() for s in call.list("only") if s.strip()]
    if not only:
        return info
    for section in only:
        if section not in info:  # Asterisk ignores it (and says so in its log)
            ast.write_log("WARNING", f"ari/resource_asterisk.c: Unrecognized info section '{section}'")
    return {key: value for key, value in info.items() if key in only}


@ROUTES.route("asterisk", "GET", "/asterisk/ping", "ping", "AsteriskPing",
              summary="Answer pong with the server's id and time.", since=("13.25.0", "16.2.0"))
def ping(ast, call):
    return {"ping": "pong", "timestamp": ast.timestamp(), "asterisk_id": ast.asterisk_id}


# ---- global variables ---------------------------------------------------------------------

@ROUTES.route("asterisk", "GET", "/asterisk/variable", "getGlobalVar", "Variable",
              params=[query("variable", "Name of the global variable", required=True)],
              errors={400: "Missing variable parameter."},
              missing={"variable": "Variable name is required"},
              summary="Read a global dialplan variable.", since=("12.0.0",))
def get_global(ast, call):
    # Quirk: an unset global reads as 200 {"value": ""} (a channel variable would be a 404).
    return {"value": _state(ast).globals.get(call.text("variable"), "")}


@ROUTES.route("asterisk", "POST", "/asterisk/variable", "setGlobalVar",
              params=[query("variable", "Name of the global variable", required=True),
                      query("value", "Value to set")],
              errors={400: "Missing variable parameter."},
              missing={"variable": "Variable name is required"},
              summary="Set a global dialplan variable.", since=("12.0.0",))
def set_global(ast, call):
    _state(ast).globals[call.text("variable")] = call.text("value")


# ---- modules ------------------------------------------------------------------------------

@ROUTES.route("asterisk", "GET", "/asterisk/modules", "listModules", "List[Module]",
              summary="List the loaded modules.", since=("13.5.0",))
def list_modules(ast, call):
    return [m.json() for m in _state(ast).modules.values() if m.running]


_MODULE = [path("moduleName", "Module's name, e.g. app_echo.so")]


@ROUTES.route("asterisk", "GET", "/asterisk/modules/{moduleName}", "getModule", "Module",
              params=_MODULE, errors={404: "Module could not be found in running modules.",
                                      409: "Module information could not be retrieved."},
              summary="Details of one loaded module.", since=("13.5.0",))
def get_module(ast, call):
    mod = _state(ast).module(call.path["moduleName"])
    if mod is None:
        raise AriFailure(404, "Module could not be found in running modules")
    return mod.json()


@ROUTES.route("asterisk", "POST", "/asterisk/modules/{moduleName}", "loadModule",
              params=_MODULE, errors={409: "Module could not be loaded."},
              summary="Load a module.", since=("13.5.0",))
def load_module(ast, call):
    state = _state(ast)
    name = call.path["moduleName"]
    if state.module(name) is not None:
        raise AriFailure(409, "Module is already loaded")
    mod = state.modules.get(name) or state.modules.get(f"{name}.so")
    if mod is None:
        # No such module file: ast_load_resource declines it.
        raise AriFailure(409, "Module load declined")
    mod.running = True
    mod.use_count = 0


@ROUTES.route("asterisk", "DELETE", "/asterisk/modules/{moduleName}", "unloadModule",
              params=_MODULE, errors={404: "Module not found in running modules.",
                                      409: "Module could not be unloaded."},
              summary="Unload a module.", since=("13.5.0",))
def unload_module(ast, call):
    mod = _state(ast).module(call.path["moduleName"])
    if mod is None:
        raise AriFailure(404, "Module not found in running modules")
    if mod.use_count > 0 or not mod.name.endswith(".so"):
        # A soft unload refuses modules in use; core parts (no .so) cannot be unloaded at all.
        raise AriFailure(409, "Module could not be unloaded")
    mod.running = False


@ROUTES.route("asterisk", "PUT", "/asterisk/modules/{moduleName}", "reloadModule",
              params=_MODULE, errors={404: "Module not found in running modules.",
                                      409: "Module could not be reloaded."},
              summary="Reload a module.", since=("13.5.0",))
def reload_module(ast, call):
    state = _state(ast)
    mod = state.module(call.path["moduleName"])
    if mod is None:
        raise AriFailure(404, "Module not found in running modules")
    if not mod.reloadable:
        raise AriFailure(409, "Module does not support reloading")  # e.g. app_echo.so (traces)
    state.last_reload_time = ast.clock.now()


# ---- log channels -------------------------------------------------------------------------

@ROUTES.route("asterisk", "GET", "/asterisk/logging", "listLogChannels", "List[LogChannel]",
              summary="List the log channels.", since=("13.6.0",))
def list_logs(ast, call):
    return [c.json() for c in _state(ast).log_channels]


_LOG = [path("logChannelName", "The log channel's name")]


@ROUTES.route("asterisk", "POST", "/asterisk/logging/{logChannelName}", "addLog",
              params=[*_LOG, query("configuration", "Levels to log, comma separated", required=True)],
              errors={400: "Bad request body", 409: "Log channel could not be created."},
              summary="Create a file log channel.", since=("13.6.0",))
def add_log(ast, call):
    state = _state(ast)
    name = call.path["logChannelName"]
    levels = [lvl.strip().upper() for lvl in call.text("configuration").split(",") if lvl.strip()]
    if not levels:
        raise AriFailure(400, "Configuration levels are required")
    full = name if name.startswith("/") else f"{LOG_DIR}/{name}"
    if any(c.channel == full for c in state.log_channels):
        raise AriFailure(409, "Log channel already exists")
    # The new file channel is listed under its full path, first (as the trace shows).
    state.log_channels.insert(0, LogChannel(full, "File", "".join(f"{lvl} " for lvl in levels)))


@ROUTES.route("asterisk", "DELETE", "/asterisk/logging/{logChannelName}", "deleteLog",
              params=_LOG, errors={404: "Log channel does not exist."},
              summary="Delete a log channel.", since=("13.6.0",))
def delete_log(ast, call):
    state = _state(ast)
    name = call.path["logChannelName"]
    # Quirk (Asterisk 23): the name is compared with the channel's full path, so deleting
    # "testchan" right after creating it answers 404; only "/var/log/asterisk/testchan" works.
    for i, c in enumerate(state.log_channels):
        if c.channel == name and c.type == "File":
            del state.log_channels[i]
            return None
    raise AriFailure(404, "Log channel does not exist")


@ROUTES.route("asterisk", "PUT", "/asterisk/logging/{logChannelName}/rotate", "rotateLog",
              params=_LOG, errors={404: "Log channel does not exist."},
              summary="Rotate a log channel's file.", since=("13.6.0",))
def rotate_log(ast, call):
    name = call.path["logChannelName"]
    full = name if name.startswith("/") else f"{LOG_DIR}/{name}"  # rotate does prefix the log dir
    if not any(c.channel == full for c in _state(ast).log_channels):
        raise AriFailure(404, "Log channel does not exist")


# ---- dynamic configuration (sorcery) --------------------------------------------------------

_CONFIG = [path("configClass", "The configuration class (a module, e.g. res_pjsip)"),
           path("objectType", "The type of object, e.g. endpoint"),
           path("id", "The object's id")]


def _objects(ast: Any, call: Any) -> dict[str, tuple[list[dict], bool]]:
    sorcery = _state(ast).sorcery
    cls = call.path["configClass"]
    if cls not in sorcery:
        raise AriFailure(404, f"configClass '{cls}' not found")  # e.g. res_pjsip with no PJSIP
    kind = call.path["objectType"]
    if kind not in sorcery[cls]:
        raise AriFailure(404, f"objectType '{kind}' not found")
    return sorcery[cls][kind]


@ROUTES.route("asterisk", "GET", "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", "getObject",
              "List[ConfigTuple]", params=_CONFIG, errors={404: "{configClass|objectType|id} not found"},
              summary="Read a dynamic configuration object.", since=("13.5.0",))
def get_object(ast, call):
    objects = _objects(ast, call)
    found = objects.get(call.path["id"])
    if found is None:
        raise AriFailure(404, f"Object with id '{call.path['id']}' not found")
    return [dict(t) for t in found[0]]


@ROUTES.route("asterisk", "PUT", "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", "updateObject",
              "List[ConfigTuple]",
              params=[*_CONFIG, body("fields", "Attributes to set: [{\"attribute\": .., \"value\": ..}]")],
              errors={400: "Bad request body", 403: "Could not create or update object",
                      404: "{configClass|objectType} not found"},
              summary="Create or update a dynamic configuration object.", since=("13.5.0",))
def update_object(ast, call):
    objects = _objects(ast, call)
    fields = call.get("fields")
    if fields is None and isinstance(call.body, dict):
        fields = call.body.get("fields")
    if fields is None:
        fields = []
    if not isinstance(fields, list) or not all(
            isinstance(f, dict) and "attribute" in f and "value" in f for f in fields):
        raise AriFailure(400, "Bad request body")
    oid = call.path["id"]
    existing = objects.get(oid)
    if existing is not None and existing[1]:
        # Objects from the configuration file belong to the config wizard: read-only here.
        raise AriFailure(403, "Could not create or update object")
    merged = {t["attribute"]: t["value"] for t in (existing[0] if existing else [])}
    merged.update({str(f["attribute"]): str(f["value"]) for f in fields})
    objects[oid] = (_tuples(**merged), False)
    return [dict(t) for t in objects[oid][0]]


@ROUTES.route("asterisk", "DELETE", "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", "deleteObject",
              params=_CONFIG, errors={403: "Could not delete object", 404: "{configClass|objectType|id} not found"},
              summary="Delete a dynamic configuration object.", since=("13.5.0",))
def delete_object(ast, call):
    objects = _objects(ast, call)
    oid = call.path["id"]
    found = objects.get(oid)
    if found is None:
        raise AriFailure(404, f"Object with id '{oid}' not found")
    if found[1]:
        raise AriFailure(403, "Could not delete object")
    del objects[oid]
