import pytest
from django.http import QueryDict

from scoring.condition_builder import conditions_from_post, rows_for
from scoring.conditions import InvalidRule


def _post(**lists) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, values in lists.items():
        data.setlist(name.replace("_", "-"), values if isinstance(values, list) else [values])
    return data


def test_rows_become_a_flat_all_condition():
    data = _post(
        cond_match="all",
        cond_field=["source", "custom.", ""],
        cond_key=["", "budget", ""],
        cond_op=["in", "gt", "equals"],
        cond_value=["Web, Ads", "5000", ""],
    )
    assert conditions_from_post(data) == {
        "all": [
            {"field": "source", "op": "in", "value": ["Web", "Ads"]},
            {"field": "custom.budget", "op": "gt", "value": 5000},
        ]
    }


def test_bad_row_names_its_number():
    data = _post(
        cond_field=["source", "score"],
        cond_key=["", ""],
        cond_op=["is_set", "gt"],
        cond_value=["", "lots"],
    )
    with pytest.raises(InvalidRule, match="condition 2"):
        conditions_from_post(data)


def test_json_box_wins_and_is_validated():
    data = _post(cond_json='{"not": {"field": "nope", "op": "is_set"}}', cond_field=["source"])
    with pytest.raises(InvalidRule, match="not.field"):
        conditions_from_post(data)


def test_invalid_json_says_where():
    with pytest.raises(InvalidRule, match="not valid JSON"):
        conditions_from_post(_post(cond_json="{oops"))


def test_flat_rule_round_trips_to_rows():
    match, rows, raw = rows_for(
        {"any": [{"field": "activity_count.replied", "op": "gt", "value": 0}]}
    )
    assert (match, raw) == ("any", "")
    assert (rows[0].field, rows[0].key, rows[0].op, rows[0].value) == (
        "activity_count.",
        "replied",
        "gt",
        "0",
    )


def test_nested_rule_is_edited_as_json():
    match, rows, raw = rows_for({"all": [{"any": [{"field": "source", "op": "is_set"}]}]})
    assert rows == []
    assert '"any"' in raw
