"""The tidy event frame: one typed row per event, built in one vectorised pass from the store.

Why vectorised: the store already holds every field as a small code into a dictionary of
distinct values (see ``store``), so a column is ``uniques[codes]``; only the distinct values are
ever converted (timestamps parsed, text validated), never a million Python rows.

Columns (``COLUMNS`` gives the dtypes; a field absent from an event is a missing value). Text
columns are categorical (an id or a name repeats in every event about its object, so a row
costs 4 bytes and the column is built without touching a million strings), except ``value``
(text, pandas' ``str``) and ``raw`` (the stored JSON text itself, shared, ``object``):

=================  ============================================================================
time               Asterisk's ``timestamp`` (tz-aware UTC); NaT when absent or unreadable
received_at        when the client received it (tz-aware UTC); NaT for plain files of events
type               event type (categorical); unknown and future types land like any other
application        the Stasis application the event was sent to; ``asterisk_id`` the server
channel_*          from the event's ``channel`` (for ``Dial``: ``caller``, else ``peer``):
                   id, name, state; caller_number/caller_name, connected_number; dialplan
                   context/exten/priority; ``channel_created`` its ``creationtime``
bridge_*           id, bridge_type, bridge_class of the event's ``bridge``
playback_*         id, state, media_uri of a playback; ``target_uri`` of a playback/recording
recording_*        name and state of a live recording
digit/duration_ms  ``ChannelDtmfReceived``
cause/cause_txt    ``ChannelHangupRequest``/``ChannelDestroyed``; ``soft`` the request's flag
variable/value     ``ChannelVarset``
args               ``StasisStart``/``ApplicationMoveFailed`` arguments (a list)
endpoint           ``technology/resource`` of endpoint events
peer_id            ``Dial``'s peer channel id; ``dialstatus`` its status
raw                the event's JSON text, exactly as stored (``orjson.loads`` gives the dict)
=================  ============================================================================

The index is ``seq``: the event's position in the log since it was created or cleared (spilled
events keep their numbers).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columnar import CHANNEL_FIELDS, EXTRA_FIELDS, GROUP_FIELDS, GROUPS, HEAD_FIELDS, EventStore

STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default ``str`` dtype
TIME = pd.DatetimeTZDtype("us", "UTC")

#: every column of the event frame and its dtype, in order
COLUMNS: dict[str, Any] = {
    "time": TIME, "received_at": TIME,
    "type": "category", "application": "category", "asterisk_id": "category",
    "channel_id": "category", "channel_name": "category", "channel_state": "category",
    "caller_number": "category", "caller_name": "category", "connected_number": "category",
    "context": "category", "exten": "category", "priority": "Int64", "channel_created": TIME,
    "bridge_id": "category", "bridge_type": "category", "bridge_class": "category",
    "playback_id": "category", "playback_state": "category", "media_uri": "category",
    "target_uri": "category", "recording_name": "category", "recording_state": "category",
    "digit": "category", "duration_ms": "Int64", "cause": "Int64", "cause_txt": "category",
    "soft": "boolean", "variable": "category", "value": STR, "args": object,
    "endpoint": "category", "peer_id": "category", "dialstatus": "category", "raw": object,
}

_SOURCES: dict[str, tuple[str, int]] = {}
for _group, _fields in (("head", HEAD_FIELDS), ("channel", CHANNEL_FIELDS), ("extra", EXTRA_FIELDS)):
    for _i, _name in enumerate(_fields):
        _SOURCES[_name] = (_group, _i)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _integer(value: Any) -> Any:
    if isinstance(value, bool):
        return pd.NA
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return pd.NA
    return pd.NA


try:  # the Cython routine DataFrame.from_records uses: tuples -> a 2-D object array, in C
    from pandas._libs.lib import to_object_array_tuples as _rows_to_2d
except ImportError:  # pragma: no cover - a pandas without it: the pure-Python transpose below
    _rows_to_2d = None


def _transpose(values: list, width: int) -> list[np.ndarray]:
    """A group's distinct tuples as one object array per field."""
    if not values:
        return [np.empty(0, dtype=object) for _ in range(width)]
    if _rows_to_2d is not None:
        table = _rows_to_2d(values)
        return [table[:, j] for j in range(width)]
    return [np.fromiter(col, dtype=object, count=len(values)) for col in zip(*values)]


def _field_codes(field: np.ndarray, codes: np.ndarray) -> tuple[list, np.ndarray]:
    """(distinct non-null values of one field, per-row index into them or -1).

    ``field`` is that field's value in each distinct tuple of its group (the group's
    dictionary, transposed), so the hashing runs over distinct tuples, never over rows.
    """
    fcodes, uniques = pd.factorize(field, use_na_sentinel=True)
    mapping = np.append(fcodes.astype(np.int32), np.int32(-1))  # code -1 (group absent) -> -1
    return list(uniques), mapping[codes]


def _as_text_array(uniques: list) -> pa.Array:
    try:  # text fields hold text: convert in C, and only fix up odd values when there are some
        return pa.array(uniques, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_text(u) for u in uniques], type=pa.string())


def _categorical(uniques: list, rows: np.ndarray) -> pd.Categorical:
    """Categories as text, sorted, so two logs of the same events give equal frames."""
    text = _as_text_array(uniques)
    if len(text) and text.null_count == 0 and len(pc.unique(text)) == len(text):
        order = pc.sort_indices(text).to_numpy()  # sorted in C++
        inverse = np.empty(len(order) + 1, dtype=np.int32)
        inverse[order] = np.arange(len(order), dtype=np.int32)
        inverse[len(order)] = -1
        cats = pd.Index(pd.array(text.take(pa.array(order)), dtype=STR))
        return pd.Categorical.from_codes(inverse[rows], categories=cats)
    # odd values that became the same text (1 and "1"): merge them the slow way
    names = text.to_pylist()
    ordered = sorted(set(names))
    pos = {t: i for i, t in enumerate(ordered)}
    remap = np.array([pos[t] for t in names] + [-1], dtype=np.int32)
    return pd.Categorical.from_codes(remap[rows], categories=pd.Index(ordered, dtype=STR))


def _strings(uniques: list, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    dictionary = _as_text_array(uniques)
    indices = pa.array(rows, type=pa.int32(), mask=rows < 0)
    decoded = pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
    return pd.array(decoded, dtype=STR) if len(rows) else pd.array([], dtype=STR)


def _integers(uniques: list, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    ints = pd.array([_integer(u) for u in uniques] + [pd.NA], dtype="Int64")
    return ints.take(np.where(rows < 0, len(uniques), rows))


def _booleans(uniques: list, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    vals = pd.array([u if isinstance(u, bool) else pd.NA for u in uniques] + [pd.NA], dtype="boolean")
    return vals.take(np.where(rows < 0, len(uniques), rows))


def _times(uniques: list, rows: np.ndarray) -> pd.DatetimeIndex:
    text = [u if isinstance(u, str) else None for u in uniques]
    parsed = pd.to_datetime(pd.Series(text + [None], dtype=object), format="ISO8601", utc=True,
                            errors="coerce").astype(TIME)
    return pd.DatetimeIndex(parsed.array.take(np.where(rows < 0, len(uniques), rows)))


def _args(uniques: list, rows: np.ndarray) -> np.ndarray:
    # ARI's args are List[string]; anything else shows as its JSON text. Rows with the same
    # arguments share one list (the frame is cached and read-only, like every column).
    table = np.empty(len(uniques) + 1, dtype=object)
    for i, v in enumerate(uniques):  # one by one: numpy would read the lists as rows
        table[i] = ([x if isinstance(x, str) else _text(x) for x in v] if isinstance(v, tuple)
                    else [_text(v)])
    table[len(uniques)] = None
    return table[rows]  # -1 picks the trailing None


def build_frame(store: EventStore, seq_start: int = 0) -> pd.DataFrame:
    """The typed frame of everything in ``store`` (see the module docstring for columns)."""
    n = len(store)
    codes = {g: store.codes_np(g)[:n] for g in GROUPS}
    # each group's distinct tuples, transposed once: one sequence of values per field
    fields = {g: _transpose(store.dicts[g].values, len(GROUP_FIELDS[g])) for g in ("head", "channel", "extra")}
    cols: dict[str, Any] = {}
    for name, dtype in COLUMNS.items():
        if name == "time":
            cols[name] = _times(store.dicts["time"].values, codes["time"])
        elif name == "received_at":
            recv = store.received_np()[:n]
            us = np.where(np.isnan(recv), 0, np.round(recv * 1e6)).astype("int64")
            col = pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC")
            cols[name] = col.where(~np.isnan(recv))
        elif name == "target_uri":
            pu, prow = _field_codes(fields["extra"][EXTRA_FIELDS.index("playback_target")], codes["extra"])
            ru, rrow = _field_codes(fields["extra"][EXTRA_FIELDS.index("recording_target")], codes["extra"])
            rows = np.where(prow >= 0, prow, np.where(rrow >= 0, rrow + len(pu), -1)).astype(np.int32)
            cols[name] = _categorical(pu + ru, rows)
        elif name == "raw":
            cols[name] = np.array(store.raw[:n], dtype=object) if n else np.zeros(0, dtype=object)
        else:
            group, pos = _SOURCES[name]
            uniques, rows = _field_codes(fields[group][pos], codes[group])
            if dtype == "category":
                cols[name] = _categorical(uniques, rows)
            elif dtype is STR:
                cols[name] = _strings(uniques, rows)
            elif dtype == "Int64":
                cols[name] = _integers(uniques, rows)
            elif dtype == "boolean":
                cols[name] = _booleans(uniques, rows)
            elif dtype is TIME:
                cols[name] = _times(uniques, rows)
            elif name == "args":
                cols[name] = _args(uniques, rows)
            else:  # pragma: no cover - every column is handled above
                raise AssertionError(name)
    index = pd.RangeIndex(seq_start, seq_start + n, name="seq")
    return pd.DataFrame({k: _series(v, COLUMNS[k], index) for k, v in cols.items()}, index=index, copy=False)


def _series(values: Any, dtype: Any, index: pd.Index) -> pd.Series:
    if dtype is object:
        return pd.Series(values, index=index, dtype=object, copy=False)
    return pd.Series(values, index=index, copy=False)


def concat_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack event frames of one log (spilled parts + memory), keeping every dtype."""
    frames = [f for f in frames if len(f)] or list(frames[:1])
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames)
    for name, dtype in COLUMNS.items():
        if dtype == "category":
            cats = sorted(set().union(*(f[name].cat.categories for f in frames)))
            out[name] = pd.Categorical(out[name].astype(object), categories=pd.Index(cats, dtype=STR))
    return out
