"""The one condition language of LeadFollow's rules: scoring, routing, SLAs, cadences.

A condition is JSON, never code:

    {"all": [
        {"field": "source", "op": "in", "value": ["Website", "Google Ads"]},
        {"any": [
            {"field": "custom.budget", "op": "gt", "value": 5000},
            {"field": "title", "op": "matches_any_word", "value": "owner ceo founder"}]},
        {"not": {"field": "email_is_free_mail", "op": "equals", "value": true}}]}

`validate_condition` rejects a bad rule with the path of the bad part ("all[1].any[0].op");
`evaluate` answers it against a lead's facts (see `scoring.facts`). An empty `all` is true and an
empty `any` is false, so an empty rule matches every lead only when written as {"all": []}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from leadfollow.errors import InvalidInput

MAX_DEPTH = 6
MAX_NODES = 100

# Attributes a rule may read: name -> kind ("text", "number", "bool", "list").
ATTRIBUTES: dict[str, str] = {
    "first_name": "text",
    "last_name": "text",
    "email": "text",
    "phone": "text",
    "title": "text",
    "company": "text",
    "status": "text",
    "source": "text",
    "source_kind": "text",
    "owner": "text",
    "time_zone": "text",
    "email_domain": "text",
    "email_is_free_mail": "bool",
    "phone_country": "text",
    "has_email": "bool",
    "has_phone": "bool",
    "score": "number",
    "score_band": "text",
    "local_hour": "number",
    "local_weekday": "text",
    "days_since_created": "number",
}
PREFIXED = {"custom.": "any", "activity_count.": "number"}

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {}


class InvalidRule(InvalidInput):
    """A rule that cannot be saved. `path` points at the bad part, e.g. "all[2].value"."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path or 'rule'}: {message}", code="invalid_rule", field="conditions")
        self.path = path


def _operator(name: str):
    def register(func):
        OPERATORS[name] = func
        return func

    return register


def _text(value: Any) -> str:
    return "" if value is None else str(value).casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@_operator("equals")
def _equals(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual) is expected if isinstance(expected, bool) else False
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    return _text(actual) == _text(expected)


@_operator("not_equals")
def _not_equals(actual: Any, expected: Any) -> bool:
    return not _equals(actual, expected)


@_operator("in")
def _in(actual: Any, expected: list) -> bool:
    return any(_equals(actual, item) for item in expected)


@_operator("contains")
def _contains(actual: Any, expected: Any) -> bool:
    return actual is not None and _text(expected) in _text(actual)


@_operator("starts_with")
def _starts_with(actual: Any, expected: Any) -> bool:
    return actual is not None and _text(actual).startswith(_text(expected))


def _compare(test: Callable[[float, float], bool]):
    def compare(actual: Any, expected: Any) -> bool:
        left, right = _number(actual), _number(expected)
        return left is not None and right is not None and test(left, right)

    return compare


OPERATORS["gt"] = _compare(lambda a, b: a > b)
OPERATORS["gte"] = _compare(lambda a, b: a >= b)
OPERATORS["lt"] = _compare(lambda a, b: a < b)
OPERATORS["lte"] = _compare(lambda a, b: a <= b)


@_operator("is_set")
def _is_set(actual: Any, expected: Any = None) -> bool:
    return actual not in (None, "", [], {}, False)


@_operator("is_not_set")
def _is_not_set(actual: Any, expected: Any = None) -> bool:
    return not _is_set(actual)


_WORD = re.compile(r"\w+")


@_operator("matches_any_word")
def _matches_any_word(actual: Any, expected: Any) -> bool:
    words = set(_WORD.findall(_text(actual)))
    wanted = expected if isinstance(expected, list) else _WORD.findall(_text(expected))
    return any(_text(word) in words for word in wanted)


NO_VALUE = {"is_set", "is_not_set"}
NUMERIC = {"gt", "gte", "lt", "lte"}
OPERATOR_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "contains": "contains",
    "starts_with": "starts with",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "is_set": "is set",
    "is_not_set": "is not set",
    "matches_any_word": "matches any word of",
}


def attribute_kind(name: str) -> str | None:
    if name in ATTRIBUTES:
        return ATTRIBUTES[name]
    for prefix, kind in PREFIXED.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return kind
    return None


def validate_condition(
    node: Any, path: str = "", depth: int = 0, _count: list | None = None
) -> None:
    """Raise InvalidRule, naming the bad part, unless `node` is a well-formed condition."""
    count = _count if _count is not None else [0]
    count[0] += 1
    if count[0] > MAX_NODES:
        raise InvalidRule(path, f"a rule may have at most {MAX_NODES} conditions.")
    if depth > MAX_DEPTH:
        raise InvalidRule(path, f"conditions may nest at most {MAX_DEPTH} levels deep.")
    if not isinstance(node, Mapping):
        raise InvalidRule(path, 'expected an object such as {"field": …, "op": …}.')
    groups = [key for key in ("all", "any", "not") if key in node]
    if groups:
        if len(node) != 1:
            raise InvalidRule(path, "a group has exactly one key: all, any or not.")
        key = groups[0]
        prefix = f"{path}.{key}" if path else key
        if key == "not":
            validate_condition(node["not"], prefix, depth + 1, count)
            return
        if not isinstance(node[key], list):
            raise InvalidRule(prefix, "expected a list of conditions.")
        for index, child in enumerate(node[key]):
            validate_condition(child, f"{prefix}[{index}]", depth + 1, count)
        return
    _validate_leaf(node, path)


def _validate_leaf(node: Mapping, path: str) -> None:
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        raise InvalidRule(path, f"unknown key {sorted(unknown)[0]!r}.")
    field, op = node.get("field"), node.get("op")
    at = f"{path}." if path else ""
    if not isinstance(field, str) or attribute_kind(field) is None:
        raise InvalidRule(f"{at}field", f"{field!r} is not an attribute a rule can read.")
    if op not in OPERATORS:
        raise InvalidRule(f"{at}op", f"{op!r} is not an operator; use one of {sorted(OPERATORS)}.")
    if op in NO_VALUE:
        if node.get("value") not in (None, True):
            raise InvalidRule(f"{at}value", f"{op} takes no value.")
        return
    if "value" not in node:
        raise InvalidRule(f"{at}value", f"{op} needs a value.")
    value = node["value"]
    if op == "in" and (not isinstance(value, list) or not value):
        raise InvalidRule(f"{at}value", "“in” needs a non-empty list of values.")
    if op in NUMERIC and _number(value) is None:
        raise InvalidRule(f"{at}value", f"{op} compares numbers: {value!r} is not a number.")
    if op != "in" and isinstance(value, list | dict) and op != "matches_any_word":
        raise InvalidRule(f"{at}value", "expected a single value.")
    if isinstance(value, str) and len(value) > 500:
        raise InvalidRule(f"{at}value", "keep values under 500 characters.")


def evaluate(node: Mapping, facts: Mapping[str, Any]) -> bool:
    """Whether the lead described by `facts` meets the (validated) condition."""
    if "all" in node:
        return all(evaluate(child, facts) for child in node["all"])
    if "any" in node:
        return any(evaluate(child, facts) for child in node["any"])
    if "not" in node:
        return not evaluate(node["not"], facts)
    return OPERATORS[node["op"]](facts.get(node["field"]), node.get("value"))


Test = Callable[[Mapping[str, Any]], bool]


def compile_condition(node: Mapping) -> Test:
    """`evaluate` prepared once for a (validated) condition: the returned test answers it for
    any lead's facts, with the rule's values already normalised. Rules are loaded once per
    change and tested against every lead."""
    if "all" in node or "any" in node:
        every = "all" in node
        tests = [compile_condition(child) for child in node["all" if every else "any"]]
        if len(tests) == 1:
            return tests[0]
        if every:
            return lambda facts: all(test(facts) for test in tests)
        return lambda facts: any(test(facts) for test in tests)
    if "not" in node:
        test = compile_condition(node["not"])
        return lambda facts: not test(facts)
    field, op, expected = node["field"], node["op"], node.get("value")
    if op in _PREPARED:
        check = _PREPARED[op](expected)
        return lambda facts: check(facts.get(field))
    operator = OPERATORS[op]
    return lambda facts: operator(facts.get(field), expected)


def _equals_prepared(expected: Any) -> Callable[[Any], bool]:
    """_equals(actual, expected) with `expected` normalised once."""
    if isinstance(expected, bool):
        return lambda actual: bool(actual) is expected
    number, text = _number(expected), _text(expected)

    def check(actual: Any) -> bool:
        if isinstance(actual, bool):
            return False
        if number is not None:
            left = _number(actual)
            if left is not None:
                return left == number
        return _text(actual) == text

    return check


def _in_prepared(expected: list) -> Callable[[Any], bool]:
    checks = [_equals_prepared(item) for item in expected]
    return lambda actual: any(check(actual) for check in checks)


def _not_equals_prepared(expected: Any) -> Callable[[Any], bool]:
    check = _equals_prepared(expected)
    return lambda actual: not check(actual)


@lru_cache(maxsize=1024)
def _words(text: str) -> frozenset[str]:
    """The words of a (casefolded) text: every word rule on a lead's title splits the same one."""
    return frozenset(_WORD.findall(text))


def _matches_any_word_prepared(expected: Any) -> Callable[[Any], bool]:
    wanted = expected if isinstance(expected, list) else _WORD.findall(_text(expected))
    texts = frozenset(_text(word) for word in wanted)
    return lambda actual: not texts.isdisjoint(_words(_text(actual)))


_PREPARED: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "equals": _equals_prepared,
    "not_equals": _not_equals_prepared,
    "in": _in_prepared,
    "matches_any_word": _matches_any_word_prepared,
}


def referenced_fields(node: Mapping) -> set[str]:
    """Every attribute a condition reads, so callers compute only the facts they need."""
    if "all" in node or "any" in node:
        return set().union(
            *(referenced_fields(child) for child in node.get("all", node.get("any", [])))
        )
    if "not" in node:
        return referenced_fields(node["not"])
    return {node["field"]}
