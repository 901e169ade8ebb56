import pytest

from scoring.conditions import (
    InvalidRule,
    compile_condition,
    evaluate,
    referenced_fields,
    validate_condition,
)

FACTS = {
    "source": "Website",
    "title": "Owner & CEO",
    "email_domain": "globex.example",
    "email_is_free_mail": False,
    "custom.budget": "7500",
    "score": 42,
    "local_hour": 9,
    "phone_country": "US",
    "company": None,
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "source", "op": "equals", "value": "website"}, True),
        ({"field": "source", "op": "not_equals", "value": "Website"}, False),
        ({"field": "source", "op": "in", "value": ["Google Ads", "Website"]}, True),
        ({"field": "email_domain", "op": "contains", "value": "globex"}, True),
        ({"field": "email_domain", "op": "starts_with", "value": "glob"}, True),
        ({"field": "custom.budget", "op": "gt", "value": 5000}, True),
        ({"field": "custom.budget", "op": "lt", "value": 5000}, False),
        ({"field": "score", "op": "gte", "value": 42}, True),
        ({"field": "score", "op": "lte", "value": 41}, False),
        ({"field": "company", "op": "is_set"}, False),
        ({"field": "company", "op": "is_not_set"}, True),
        ({"field": "title", "op": "matches_any_word", "value": "founder ceo"}, True),
        ({"field": "title", "op": "matches_any_word", "value": "intern"}, False),
        ({"field": "email_is_free_mail", "op": "equals", "value": False}, True),
        ({"field": "custom.missing", "op": "gt", "value": 1}, False),
        ({"all": []}, True),
        ({"any": []}, False),
        ({"not": {"field": "phone_country", "op": "equals", "value": "US"}}, False),
        (
            {
                "all": [
                    {"field": "source", "op": "equals", "value": "Website"},
                    {
                        "any": [
                            {"field": "score", "op": "gt", "value": 90},
                            {"field": "local_hour", "op": "lt", "value": 12},
                        ]
                    },
                ]
            },
            True,
        ),
    ],
)
def test_condition_evaluates_against_lead_facts(condition, expected):
    validate_condition(condition)
    assert evaluate(condition, FACTS) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "source", "op": "equals", "value": "website"},
        {"field": "score", "op": "equals", "value": "42.0"},
        {"field": "email_is_free_mail", "op": "equals", "value": False},
        {"field": "email_is_free_mail", "op": "equals", "value": "false"},
        {"field": "score", "op": "equals", "value": True},
        {"field": "company", "op": "equals", "value": ""},
        {"field": "source", "op": "not_equals", "value": "Website"},
        {"field": "score", "op": "in", "value": ["41", 42, "Website"]},
        {"field": "title", "op": "matches_any_word", "value": "founder CEO"},
        {"field": "title", "op": "matches_any_word", "value": ["owner", "intern"]},
        {"field": "company", "op": "matches_any_word", "value": "acme"},
        {"field": "custom.budget", "op": "gt", "value": 5000},
        {"field": "company", "op": "is_set"},
        {"not": {"any": [{"field": "local_hour", "op": "lt", "value": 8}, {"all": []}]}},
        {"any": []},
        {"all": [{"field": "source", "op": "is_set"}, {"field": "score", "op": "gt", "value": 1}]},
        {"all": [{"field": "company", "op": "is_set"}, {"field": "score", "op": "lt", "value": 1}]},
        {"any": [{"field": "score", "op": "lt", "value": 1}, {"field": "source", "op": "is_set"}]},
        {"any": [{"field": "score", "op": "lt", "value": 1}, {"field": "phone", "op": "is_set"}]},
        {"field": "custom.missing", "op": "matches_any_word", "value": "founder"},
    ],
)
def test_a_prepared_condition_answers_like_evaluate(condition):
    validate_condition(condition)
    assert compile_condition(condition)(FACTS) is evaluate(condition, FACTS)


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ("source equals web", "rule"),
        ({"field": "favourite_colour", "op": "equals", "value": "red"}, "field"),
        ({"field": "source", "op": "like", "value": "x"}, "op"),
        ({"field": "source", "op": "equals"}, "value"),
        ({"field": "score", "op": "gt", "value": "lots"}, "value"),
        ({"field": "source", "op": "in", "value": []}, "value"),
        ({"field": "source", "op": "is_set", "value": "x"}, "value"),
        (
            {
                "all": [
                    {"field": "source", "op": "equals", "value": "a"},
                    {"field": "x", "op": "equals", "value": 1},
                ]
            },
            "all[1].field",
        ),
        ({"any": {"field": "source"}}, "any"),
        ({"all": [], "any": []}, "rule"),
        ({"field": "source", "op": "equals", "value": "a", "extra": 1}, "rule"),
        ({"not": {"all": [{"any": [{"field": "score", "op": "gt"}]}]}}, "not.all[0].any[0].value"),
    ],
)
def test_invalid_rule_is_rejected_with_the_path_of_the_bad_part(condition, path):
    with pytest.raises(InvalidRule) as caught:
        validate_condition(condition)
    assert (caught.value.path or "rule") == path


def test_too_deep_rule_is_rejected():
    node = {"field": "source", "op": "is_set"}
    for _ in range(10):
        node = {"not": node}
    with pytest.raises(InvalidRule, match="levels deep"):
        validate_condition(node)


def test_referenced_fields_lists_every_attribute_read():
    condition = {
        "all": [
            {"field": "source", "op": "is_set"},
            {"not": {"any": [{"field": "activity_count.replied", "op": "gt", "value": 0}]}},
        ]
    }
    assert referenced_fields(condition) == {"source", "activity_count.replied"}
