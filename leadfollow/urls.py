from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView

from leadfollow import api, health, schema
from leadfollow.forms import EmailLoginForm
from leadfollow.views import accounts, settings

_reset_done = reverse_lazy("leadfollow:password-reset-done")
_reset_complete = reverse_lazy("leadfollow:password-reset-complete")

core_patterns = [
    path("", accounts.home, name="home"),
    path("signup/", accounts.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="leadfollow/login.html",
            authentication_form=EmailLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="leadfollow/password_reset.html",
            email_template_name="leadfollow/email/password_reset.txt",
            subject_template_name="leadfollow/email/password_reset_subject.txt",
            success_url=_reset_done,
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="leadfollow/password_reset_done.html"
        ),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="leadfollow/password_reset_confirm.html", success_url=_reset_complete
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="leadfollow/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("invites/<str:token>/", accounts.invite_accept, name="invite-accept"),
    path("workspaces/new/", accounts.workspace_create, name="workspace-create"),
    path("workspaces/switch/", accounts.workspace_switch, name="workspace-switch"),
    path("settings/", settings.settings_index, name="settings"),
    path("settings/profile/", settings.profile, name="profile"),
    path(
        "settings/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="leadfollow/settings/password.html",
            success_url=reverse_lazy("leadfollow:profile"),
        ),
        name="password-change",
    ),
    path("settings/workspace/", settings.workspace_settings, name="workspace-settings"),
    path("settings/members/", settings.members, name="members"),
    path("settings/members/<int:membership_id>/role/", settings.member_role, name="member-role"),
    path(
        "settings/members/<int:membership_id>/remove/", settings.member_remove, name="member-remove"
    ),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        settings.invitation_revoke,
        name="invitation-revoke",
    ),
    path("settings/api-keys/", settings.api_key_list, name="api-keys"),
    path(
        "settings/api-keys/<int:api_key_id>/revoke/", settings.api_key_revoke, name="api-key-revoke"
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/workspace/", api.WorkspaceView.as_view(), name="api-workspace"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", schema.ApiDocsView.as_view(), name="api-docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include((core_patterns, "leadfollow"))),
    path("", include("leads.urls")),
    path("", include("scoring.urls")),
    path("", include("channels.urls")),
    path("", include("cadences.urls")),
    path("", include("reports.urls")),
]
