from django.urls import path

from scoring.views import conditions

app_name = "scoring"

urlpatterns = [
    path("rules/condition-row/", conditions.condition_row, name="condition-row"),
]
