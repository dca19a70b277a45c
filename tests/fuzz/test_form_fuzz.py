"""People type nonsense into the Explorer's forms: every operation's form, every field, odd input.
The form model turns it into a ValidationError naming the operation and the field, or into a
request that encodes it; nothing else may escape (the widget shows the error inside)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ari_notebook._errors import ValidationError
from ari_notebook.widgets.forms import FormModel

from .conftest import EXAMPLES
from .strategies import odd_text

NASTY_JSON = st.sampled_from(["[" * 5000, "{" * 3000, '{"a": ' * 2000, '"\\ud800"', "1e999", "-0",
                              '{"x": NaN}', "null", "[]", '{"": ""}', '{"k": "\\u0000"}', "\x00", "{'a': 1}"])


def raw_for(field) -> st.SearchStrategy:
    kind = field.kind
    if kind == "bool":
        return st.one_of(st.booleans(), odd_text)
    if kind in ("int", "float", "optional_number"):
        return st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(), odd_text,
                         st.sampled_from(["9" * 5000, "1e309", "0x10", " 7 ", "½"]))
    if kind == "json":
        return st.one_of(odd_text, NASTY_JSON, st.dictionaries(st.text(max_size=5), st.text(max_size=5)))
    if kind == "choice":
        return st.one_of(st.sampled_from(list(field.options) or [""]), odd_text)
    if kind == "multichoice":
        return st.lists(st.one_of(st.sampled_from(list(field.options) or [""]), odd_text), max_size=3)
    return odd_text


def test_every_form_rejects_or_prepares(api_spec):
    forms = [FormModel(op) for op in api_spec.operations.values() if not op.upgrade]
    outcomes = {"rejected": 0, "prepared": 0}

    @settings(max_examples=EXAMPLES * 60, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        form = data.draw(st.sampled_from(forms), label="form")
        raw = {f.name: data.draw(raw_for(f), label=f.name) for f in form.fields
               if data.draw(st.booleans(), label=f"fill {f.name}")}
        try:
            kwargs, prepared = form.prepare(raw)
        except ValidationError as exc:
            assert exc.operation == form.operation.name
            outcomes["rejected"] += 1
            return
        outcomes["prepared"] += 1
        assert prepared.operation == form.operation.name and "{" not in prepared.path

    run()
    print(f"\nform fuzz: {sum(outcomes.values())} cases over {len(forms)} forms: {outcomes}")
    assert outcomes["rejected"] and outcomes["prepared"]
