"""The service's JSON at msgspec's speed: every answer has the bytes Flask's json provider wrote, every body
parses to the value (or fails with the message) json.loads gave."""

import json
import math

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service import create_app
from service.errors import Problem
from service.jsonprovider import JSONProvider
from service.schemas import _decode, _finite_float, _refuse_constant

COMPACT = (",", ":")
# Floats on both sides of every edge of msgspec's spelling: 0, 1e-4, 1e16, and NaN and the infinities.
EDGE_FLOATS = [0.0, -0.0, 1e-4, 9.9e-05, 1e-05, 1.5e-07, 5e-324, 1e16, 9999999999999998.0, 1.5e16, 1e300]
EDGE_FLOATS += [-x for x in EDGE_FLOATS] + [math.nan, math.inf, -math.inf, 0.999984, 1e-06, 0.1 + 0.2]
TEXT = st.one_of(
    st.text(),
    st.text(st.characters(min_codepoint=0x7F, max_codepoint=0x10FFFF)),  # DEL, non-ASCII, astral
    st.sampled_from(
        ["\x7f", "\u2028", "é", "😀", "\ud800", "a\udc00b", '\x00\x1f"\\/']
    ),  # and lone surrogates
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**200), TEXT, st.floats()
)
SCALARS |= st.sampled_from(EDGE_FLOATS)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children)
        | st.lists(children).map(tuple)
        | st.dictionaries(TEXT, children)
        # Lists of dicts with the same keys, which are checked a column at a time.
        | st.lists(st.fixed_dictionaries({"id": children, "score": children, "labels": st.lists(children)}))
    ),
    max_leaves=30,
)


def _old_provider(app: Flask) -> DefaultJSONProvider:
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False  # as the app set it before it had its own provider
    return provider


NEW, OLD = JSONProvider(Flask(__name__)), _old_provider(Flask(__name__))


def _same_bytes(value) -> None:
    for kwargs in ({"separators": COMPACT}, {}, {"indent": 2}):
        try:
            expected = OLD.dumps(value, **kwargs)
        except (TypeError, ValueError, RecursionError) as error:
            with pytest.raises(type(error)):
                NEW.dumps(value, **kwargs)
            continue
        assert NEW.dumps(value, **kwargs) == expected


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(VALUES)
@example({"model": "m", "results": [{"id": 1, "score": 1e-05}, {"id": "é", "score": 0.5}]})
@example([[1.0] * 3, [2.0, 1e16]])
@example([{"a": 0.5}, {"b": 0.5}])
@example({"nested": [[[{"x": [math.nan]}]]]})
def test_the_provider_writes_the_bytes_flasks_provider_wrote(value):
    _same_bytes(value)


def test_values_json_turns_to_text_are_written_as_flask_wrote_them():
    import datetime
    import decimal
    import uuid

    odd = [datetime.date(2026, 12, 4), decimal.Decimal("1.5"), uuid.UUID(int=7), ("a", 1), {1: "int key"}]
    for value in [*odd, {"x": odd}, [True, 1, 1.0], json.loads("[" * 70 + "]" * 70)]:
        _same_bytes(value)
    with pytest.raises(TypeError):
        NEW.dumps({"a": {1, 2}}, separators=COMPACT)


@pytest.fixture
def apps(service_env, publish):
    """The service with its JSON provider, and the same service with Flask's, on the same model."""
    models = publish("tiny-a").parent
    new, old = create_app({"MODELS_DIR": models}), create_app({"MODELS_DIR": models})
    assert isinstance(new.json, JSONProvider)
    old.json = _old_provider(old)
    return new.test_client(), old.test_client()


HEADLINES = [
    "Central bank raises rates",
    "Striker scores twice",
    "Élection présidentielle: 😀 résultats",
    "x",
]


def _bodies():
    for headline in HEADLINES:
        yield {"headline": headline, "teaser": "Markets fell.\u2028Again."}
        yield {"headline": headline, "threshold": 0.0}  # every label, the smallest scores too
        yield {"headline": headline, "explain": True, "top_k": 2}
    ids = [1, "é-1", 2**70, 1.5e-07, 1e16, {"a": [1, {"b": None}]}, None, True, -0.0, "\x7f"]
    yield {"items": [{"id": id_, "headline": HEADLINES[n % 4]} for n, id_ in enumerate(ids)]}
    yield {"items": [{"id": n, "headline": h} for n, h in enumerate(HEADLINES * 25)], "threshold": 0}
    yield {"items": [{"headline": h, "teaser": h} for h in HEADLINES], "explain": True}
    # Problems: 422 with a list of errors, 413, 400.
    yield {"items": [{"headline": ""}, {"teaser": 5}]}
    yield {"items": [{"headline": "x" * 3000}]}
    yield '{"headline": "x",'
    yield '{"headline": NaN}'
    yield '{"headline": "\\ud800"}'


@pytest.mark.parametrize("body", list(_bodies()))
def test_every_answer_has_the_bytes_flasks_provider_wrote(apps, body):
    new, old = apps
    data = body if isinstance(body, str) else json.dumps(body)
    for path in ("/v1/tag",):
        answers = [c.post(path, data=data, content_type="application/json") for c in (new, old)]
        assert answers[0].status_code == answers[1].status_code
        assert answers[0].get_data() == answers[1].get_data()
    for path in ("/v1/labels", "/v1/model", "/readyz", "/nowhere"):
        assert new.get(path).get_data() == old.get(path).get_data()


def _loads(raw: bytes):
    """What parse_tag_request did with a body before msgspec: json.loads, or a 400 with its message."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as error:
        return f"The body is not valid JSON: {error}"


def _decoded(raw: bytes):
    try:
        return _decode(raw)
    except Problem as problem:
        return problem.detail


def _typed(value):
    """``value`` with every number tagged by its type, and floats by their bits (so -0.0 != 0.0)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


JSON_LIKE = st.one_of(
    VALUES.map(lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.lists(
        st.sampled_from(['{"a":', "[", "]", "}", ",", "1e400", "NaN", "-0", "1.5E-7", '"\\ud800"', " ", "é"]),
        max_size=8,
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
)


@settings(max_examples=1500)
@given(JSON_LIKE)
@example(b"\xef\xbb\xbf{}")  # a BOM: json.loads reads it, msgspec does not
@example('{"headline": "x"}'.encode("utf-16"))
@example(b"123456789012345678901234567890")
@example(b"[" * 100_000 + b"]" * 100_000)
def test_a_body_parses_as_json_loads_parsed_it(raw):
    assert _typed(_decoded(raw)) == _typed(_loads(raw))
