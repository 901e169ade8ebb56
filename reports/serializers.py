"""The reports API's shapes: the filters it reads and the figures it returns."""

from __future__ import annotations

from rest_framework import serializers

from reports.filters import MAX_ID

UNITS = ["count", "percent", "seconds", "text"]


class ReportFilterIn(serializers.Serializer):
    """Documents the query parameters; the shared filter form validates them."""

    date_from = serializers.DateField(
        required=False, help_text="First day, in the workspace's time zone. Default: 29 days ago."
    )
    date_to = serializers.DateField(required=False, help_text="Last day. Default: today.")
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    rep = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A member id: their leads."
    )
    source = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    cadence = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Leads enrolled in it."
    )


class FiltersOut(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    time_zone = serializers.CharField()
    team = serializers.IntegerField(allow_null=True)
    rep = serializers.IntegerField(allow_null=True)
    source = serializers.IntegerField(allow_null=True)
    cadence = serializers.IntegerField(allow_null=True)


class FigureOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Seconds, percent or a count.")
    unit = serializers.ChoiceField(UNITS)


class ColumnOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.ChoiceField(UNITS)


class TableOut(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = ColumnOut(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        help_text="One object per row, keyed by the columns' keys.",
    )


class PointOut(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)


class ChartOut(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.ChoiceField(UNITS)
    points = PointOut(many=True)


class ReportOut(serializers.Serializer):
    report = serializers.CharField()
    title = serializers.CharField()
    filters = FiltersOut()
    headline = FigureOut(many=True)
    tables = TableOut(many=True)
    charts = ChartOut(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class ReportSummaryOut(serializers.Serializer):
    report = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField(help_text="This report's figures: tables and charts.")
    headline = FigureOut(many=True)


class ReportListOut(serializers.Serializer):
    filters = FiltersOut()
    reports = ReportSummaryOut(many=True)
