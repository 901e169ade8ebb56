from django.urls import path

from leads import api

app_name = "leads"

api_patterns = [
    path("api/v1/leads/", api.LeadCollectionView.as_view(), name="api-lead-list"),
    path("api/v1/leads/bulk/", api.LeadBulkView.as_view(), name="api-lead-bulk"),
    path("api/v1/leads/<int:lead_id>/", api.LeadDetailView.as_view(), name="api-lead-detail"),
    path(
        "api/v1/leads/<int:lead_id>/activities/",
        api.LeadActivitiesView.as_view(),
        name="api-lead-activities",
    ),
]

page_patterns: list = []

urlpatterns = api_patterns + page_patterns
