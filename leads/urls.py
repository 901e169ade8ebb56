from django.urls import path

from leads import api
from leads.views import lead_detail, lead_list

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

page_patterns: list = [
    path("leads/", lead_list.lead_list, name="lead-list"),
    path("leads/new/", lead_list.lead_new, name="lead-new"),
    path("leads/bulk/", lead_list.lead_bulk, name="lead-bulk"),
    path("leads/<int:lead_id>/", lead_detail.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/state/", lead_detail.lead_state, name="lead-state"),
    path("leads/<int:lead_id>/notes/", lead_detail.lead_note, name="lead-note"),
]

urlpatterns = api_patterns + page_patterns
