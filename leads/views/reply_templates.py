"""Settings → Reply templates: managers keep the saved replies reps start from."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels.conversations import reply_templates
from channels.services.reply_templates import (
    delete_reply_template,
    get_reply_template,
    save_reply_template,
)
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required
from leads.lead_forms import ReplyTemplateForm


@manager_required
def reply_template_list(request: HttpRequest) -> HttpResponse:
    context = {"templates": reply_templates(workspace=request.workspace)}
    return render(request, "leads/reply_templates.html", context)


@manager_required
def reply_template_form(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """Add a template, or edit the one `template_id` names."""
    workspace = request.workspace
    saved = None
    if template_id is not None:
        saved = get_reply_template(workspace=workspace, template_id=template_id)
    initial = (
        {"name": saved.name, "channel": saved.channel, "subject": saved.subject, "body": saved.body}
        if saved
        else {"channel": "sms"}
    )
    form = ReplyTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_reply_template(
                workspace=workspace,
                template_id=template_id,
                actor=request.membership,
                **form.cleaned_data,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{saved.name}” is saved.")
            return redirect("leads:reply-template-list")
    context = {"form": form, "template": saved}
    status = 400 if form.errors else 200
    return render(request, "leads/reply_template_form.html", context, status=status)


@manager_required
@require_POST
def reply_template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    saved = get_reply_template(workspace=request.workspace, template_id=template_id)
    delete_reply_template(workspace=request.workspace, template_id=saved.pk)
    messages.success(request, f"“{saved.name}” was deleted.")
    return redirect("leads:reply-template-list")
