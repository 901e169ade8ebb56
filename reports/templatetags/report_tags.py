from django import template

from reports.presentation import format_value

register = template.Library()


@register.filter
def report_value(value, unit: str) -> str:
    """A report figure as people read it: '2 min 30 s', '42.9 %', '1,204', '—'."""
    return format_value(value, unit)
