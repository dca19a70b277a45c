"""``/mailboxes``: external MWI mailboxes (res_mwi_external), seeded from the config.

Quirks from the traces: a PUT without counts is still 204 (both read as 0); after a delete
GET says ``Mailbox is does not exist`` (sic) while a second DELETE says ``Mailbox does not
exist``. Every change shows up as ``DeviceStateChanged MWI:<mailbox>`` (INUSE while new
messages wait, else NOT_INUSE) for subscribers of that device (e.g. subscribeAll sockets).
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, component
from ..routing import ROUTES, path, query
from .device_states import DeviceStates


@component
class Mailboxes:
    def __init__(self, ast: Any) -> None:
        self.ast = ast
        self.boxes: dict[str, tuple[int, int]] = dict(getattr(ast.config, "mailboxes", None) or {})

    def json(self, name: str) -> dict[str, Any]:
        old, new = self.boxes[name]
        return {"name": name, "old_messages": old, "new_messages": new}

    def set(self, name: str, old: int, new: int) -> None:
        self.boxes[name] = (old, new)
        self.ast.component(DeviceStates).publish(f"MWI:{name}", "INUSE" if new > 0 else "NOT_INUSE")


@ROUTES.route("mailboxes", "GET", "/mailboxes", "list", "List[Mailbox]",
              summary="List the mailboxes.", since=("12.1.0",))
def list_boxes(ast, call):
    boxes = ast.component(Mailboxes)
    return [boxes.json(name) for name in boxes.boxes]


_BOX = path("mailboxName", "Name of the mailbox, e.g. 1000@default")


@ROUTES.route("mailboxes", "GET", "/mailboxes/{mailboxName}", "get", "Mailbox",
              params=[_BOX], errors={404: "Mailbox not found"},
              summary="A mailbox's message counts.", since=("12.1.0",))
def get_box(ast, call):
    boxes = ast.component(Mailboxes)
    name = call.path["mailboxName"]
    if name not in boxes.boxes:
        raise AriFailure(404, "Mailbox is does not exist")  # sic: Asterisk 23's text
    return boxes.json(name)


@ROUTES.route("mailboxes", "PUT", "/mailboxes/{mailboxName}", "update",
              params=[_BOX, query("oldMessages", "Count of old (read) messages", type="int", required=True),
                      query("newMessages", "Count of new (unread) messages", type="int", required=True)],
              errors={404: "Mailbox not found"},
              missing={"oldMessages": None, "newMessages": None},
              summary="Create or change a mailbox.", since=("12.1.0",))
def update_box(ast, call):
    # Quirk: missing counts are not checked; they read as 0 (atoi), and the answer is 204.
    ast.component(Mailboxes).set(call.path["mailboxName"], call.int("oldMessages"), call.int("newMessages"))


@ROUTES.route("mailboxes", "DELETE", "/mailboxes/{mailboxName}", "delete",
              params=[_BOX], errors={404: "Mailbox not found"},
              summary="Delete a mailbox.", since=("12.1.0",))
def delete_box(ast, call):
    boxes = ast.component(Mailboxes)
    name = call.path["mailboxName"]
    if name not in boxes.boxes:
        raise AriFailure(404, "Mailbox does not exist")
    del boxes.boxes[name]
    ast.component(DeviceStates).publish(f"MWI:{name}", "NOT_INUSE")
