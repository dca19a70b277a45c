"""Hypothesis strategies for what people type into forms and cells: wrong types, missing and
extra parameters, huge strings, odd Unicode, and ids that try to break out of their path segment."""

from __future__ import annotations

from hypothesis import strategies as st

from ari_notebook.spec import Operation

PATH_BREAKERS = [
    "/", "//", "..", ".", "../..", "%2F", "%2f", "a/b", "../asterisk/info", "..%2F..%2Fasterisk%2Finfo",
    "%2E%2E", " ", "a b", " lead", "trail ", "?x=1", "#frag", "a;b=c", "a&b=c", "\\", "%", "%zz", "%00",
    "\x00", "\t\n\r", "é", "ß", "😀", "\u202e", "\ufeff", "\u0301", "\U0010ffff", "\ud800", "ｆｕｌｌ",
    "null", "None", "true", "-1", "0", "1e309", "x" * 5000, "é" * 3000,
]

odd_text = st.one_of(
    st.sampled_from(PATH_BREAKERS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Zs", "Mn"]), min_size=1, max_size=5),
    st.sampled_from([10_000, 70_000]).map(lambda n: "y" * n),  # huge
)

scalars = st.one_of(
    odd_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)

def _nested(depth: int) -> dict:
    node: dict = {}
    top = node
    for _ in range(depth):
        node["n"] = {}
        node = node["n"]
    return top


junk = st.one_of(
    scalars,
    st.sampled_from([150, 260, 2000]).map(_nested),  # deeper than JSON encoders go
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    st.binary(max_size=10),
    st.just(object()),
)


def plausible(param) -> st.SearchStrategy:
    """A value of roughly the right type (so the fuzz reaches the server, not only validation)."""
    t = param.data_type
    if param.allowable is not None and getattr(param.allowable, "values", None):
        return st.sampled_from(list(param.allowable.values))
    if t in ("int", "long"):
        return st.integers(min_value=-5, max_value=100_000)
    if t in ("double", "float"):
        return st.floats(min_value=-1, max_value=1e6, allow_nan=False)
    if t == "boolean":
        return st.booleans()
    if t in ("containers", "object"):
        return st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
    return odd_text


def kwargs_for(op: Operation) -> st.SearchStrategy[dict]:
    """Arguments for ``op``: each parameter missing, plausible or junk; sometimes an extra one."""
    fields = {}
    for p in op.parameters:
        fields[p.name] = st.one_of(st.just(None), plausible(p), junk)
    extra = st.one_of(st.just({}), st.dictionaries(st.sampled_from(["channelid", "foo", "Endpoint", "app_"]),
                                                   scalars, max_size=1))
    return st.tuples(st.fixed_dictionaries(fields), extra).map(
        lambda pair: {k: v for k, v in {**pair[0], **pair[1]}.items() if v is not None})
