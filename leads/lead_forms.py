"""Browser forms of the leads pages. They check shape; the services check the rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe

from cadences import templating
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error, time_zone_choices
from leadfollow.models import Membership, Workspace
from leads.models import Lead, LeadSource
from leads.normalize import TEXT_LIMITS, InvalidLead
from leads.selectors import LEAD_ORDERINGS
from leads.services.call_log import CALL_OUTCOMES, LONGEST_CALL_MINUTES
from leads.services.changes import NOTE_LIMIT

ME, UNASSIGNED, NOBODY = "me", "unassigned", "none"
SORTS = list(LEAD_ORDERINGS)
DEFAULT_SORT = "-created"


def _member_choices(members: list[Membership]) -> list[tuple[str, str]]:
    return [(str(member.pk), member.user.display_name) for member in members]


def show_service_errors(form: forms.Form, exc: DomainError) -> None:
    """Put a service's error on the form: every field of an InvalidLead, else the one message."""
    if isinstance(exc, InvalidLead):
        for field, messages in exc.errors.items():
            form.add_error(field if field in form.fields else None, messages)
        return
    changed_contact = [name for name in ("email", "phone") if name in form.changed_data]
    if exc.code == "duplicate" and len(changed_contact) == 1:
        # The service cannot tell which address clashed; the one the member changed did.
        form.add_error(changed_contact[0], exc.message)
        return
    add_domain_error(form, exc)


def _text(name: str, **kwargs) -> forms.CharField:
    return forms.CharField(required=False, max_length=TEXT_LIMITS.get(name), **kwargs)


def _start_of(day: date, workspace: Workspace) -> datetime:
    return datetime.combine(day, time.min, tzinfo=workspace.tzinfo)


class LeadFilterForm(forms.Form):
    """The list's filters, read from the query string. A bad value is shown and ignored."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, email, phone or company",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    owner = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False)
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        required=False, choices=[(s, s) for name in SORTS for s in (name, f"-{name}")]
    )

    def __init__(self, data, *, members: list[Membership], sources: list[LeadSource]):
        super().__init__(data, auto_id="filter_%s")
        self.fields["owner"].choices = [
            ("", "Anyone"),
            (ME, "Me"),
            (UNASSIGNED, "Unassigned"),
            *_member_choices(members),
        ]
        self.fields["source"].choices = [
            ("", "Any source"),
            *[(str(source.pk), source.name) for source in sources],
        ]

    @property
    def ordering(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_SORT

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields if name != "sort")

    def search_params(self, *, workspace: Workspace, me: Membership) -> dict:
        """The valid filters as `search_leads` keyword arguments."""
        data = self.cleaned_data
        owner = data.get("owner")
        params = {
            "q": data.get("q") or None,
            "status": data.get("status") or None,
            "source": int(data["source"]) if data.get("source") else None,
            "owner": me.pk if owner == ME else int(owner) if owner and owner.isdigit() else None,
            "unassigned": owner == UNASSIGNED,
            "ordering": self.ordering,
        }
        if data.get("created_from"):
            params["created_after"] = _start_of(data["created_from"], workspace)
        if data.get("created_to"):
            # "to" includes the whole day, in the workspace's time zone.
            params["created_before"] = _start_of(data["created_to"] + timedelta(days=1), workspace)
        return params


class LeadIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Select leads from the list.") from exc


class LeadBulkForm(forms.Form):
    lead_ids = LeadIdsField(error_messages={"required": "Select at least one lead first."})
    owner = forms.ChoiceField(label="Assign to", required=False)
    status = forms.ChoiceField(
        label="Set status", choices=[("", "Keep status"), *Lead.Status.choices], required=False
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, members: list[Membership]):
        super().__init__(data, auto_id="bulk_%s")
        self.fields["owner"].choices = [
            ("", "Keep owner"),
            (NOBODY, "Nobody (unassign)"),
            *_member_choices(members),
        ]

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("owner") and not data.get("status"):
            raise forms.ValidationError("Choose an owner or a status to apply.")
        return data

    def summary(self, count: int) -> str:
        """The flash message: "Updated 2 leads: assigned to Raj Patel, status Working." """
        owner, status = self.cleaned_data["owner"], self.cleaned_data["status"]
        done = []
        if owner == NOBODY:
            done.append("unassigned")
        elif owner:
            done.append(f"assigned to {dict(self.fields['owner'].choices)[owner]}")
        if status:
            done.append(f"status {Lead.Status(status).label}")
        noun = "lead" if count == 1 else "leads"
        return f"Updated {count} {noun}: {', '.join(done)}."

    def changes(self) -> dict:
        """The `bulk_update_leads` keyword arguments for what was chosen."""
        owner, status = self.cleaned_data["owner"], self.cleaned_data["status"]
        changes: dict = {"status": status or None}
        if owner:
            changes["owner_id"] = None if owner == NOBODY else int(owner)
        return changes


class LeadDetailsForm(forms.Form):
    """A lead's contact details, as typed by a member. The intake rules normalise them."""

    first_name = _text("first_name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    last_name = _text("last_name", widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.CharField(
        required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="Without a country code, we read it as a number in your workspace's region.",
    )
    company = _text("company")
    title = _text("title", label="Job title")


class LeadAddForm(LeadDetailsForm):
    owner = forms.ChoiceField(required=False)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What did they ask for? It goes on the lead's timeline.",
    )

    def __init__(self, data=None, *, members: list[Membership], me: Membership):
        super().__init__(data, initial={"owner": str(me.pk)})
        self.fields["owner"].choices = [("", "Nobody yet"), *_member_choices(members)]

    def lead_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in LeadDetailsForm.base_fields}


@cache
def _lead_zone_choices() -> tuple[tuple[str, str], ...]:
    """Read once a process: listing the zones walks the tz database on disk (~600 files)."""
    return (("", "From the phone number"), *time_zone_choices())


@cache
def _zone_options() -> tuple[tuple[str, str], ...]:
    """(value, the option's markup with "{}" where ` selected` goes), built once a process."""
    return tuple(
        (value, f'\n  <option value="{escape(value)}"{{}}>{escape(label)}</option>\n')
        for value, label in _lead_zone_choices()
    )


class _ZoneSelect(forms.Select):
    """The same `<select>` as Django's, with its ~600 options written from cached markup: one
    template per option made the time zone list half of the lead page's rendering time."""

    template_name = "leads/widgets/zone_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = set(context["widget"]["value"])
        context["widget"]["options_html"] = mark_safe(  # noqa: S308 - every part is escaped
            "".join(
                option.format(" selected" if zone in chosen else "")
                for zone, option in _zone_options()
            )
        )
        return context

    def optgroups(self, name, value, attrs=None):
        return []  # the options come from options_html


class LeadEditForm(LeadDetailsForm):
    time_zone = forms.ChoiceField(
        label="Time zone", required=False, choices=_lead_zone_choices, widget=_ZoneSelect
    )

    def __init__(self, data=None, *, lead: Lead):
        super().__init__(
            data,
            initial={
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email or "",
                "phone": lead.phone or "",
                "company": lead.account.name if lead.account else "",
                "title": lead.title,
                "time_zone": lead.time_zone,
            },
            prefix="edit",
        )

    def changes(self) -> dict:
        """Only what the member changed, so the timeline names exactly that."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class LeadStateForm(forms.Form):
    status = forms.ChoiceField(choices=Lead.Status.choices)
    owner = forms.ChoiceField(required=False)

    def __init__(self, data=None, *, lead: Lead, members: list[Membership]):
        initial = {"status": lead.status, "owner": str(lead.owner_id or "")}
        super().__init__(data, initial=initial, auto_id="state_%s")
        choices = [("", "Unassigned"), *_member_choices(members)]
        if lead.owner and lead.owner not in members:
            # A former member still owns it: show them, so changing the status keeps the owner.
            choices.append((str(lead.owner_id), f"{lead.owner.user.display_name} (left)"))
        self.fields["owner"].choices = choices

    def changes(self) -> dict:
        """Only what changed: re-sending an unchanged owner must not re-validate them."""
        changes = {name: self.cleaned_data[name] for name in self.changed_data}
        if "owner" in changes:
            changes["owner"] = int(changes["owner"]) if changes["owner"] else None
        return changes


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Called, left a voicemail…"}),
        error_messages={"required": "Write the note first."},
    )


# Browsers send "2026-11-23T14:30" from <input type="datetime-local">; Django reads it in the
# active time zone (the workspace's, set by the middleware).
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def _local_datetime(label: str, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
        error_messages={
            "invalid": "Give a date and a time, e.g. 2026-11-24 10:30.",
            "required": "Give the date and time.",
        },
    )


class ReplyForm(forms.Form):
    """A rep's email or text. The variables are filled (and checked) by `render_reply`."""

    channel = forms.ChoiceField(
        label="Reply by",
        choices=[("sms", "Text (SMS)"), ("email", "Email")],
        widget=forms.RadioSelect,
    )
    template = forms.ChoiceField(label="Start from a template", required=False)
    subject = forms.CharField(label="Subject", required=False, max_length=300)
    body = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text='Variables like {{ lead.first_name | "there" }} are filled in for this lead.',
        error_messages={"required": "Write the message first."},
    )
    # One id per composed message: sending it twice (a double click) sends once.
    send_id = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, data=None, *, templates: list, initial: dict | None = None):
        super().__init__(data, initial=initial, auto_id="reply_%s")
        self.fields["template"].choices = [("", "No template")] + [
            (
                str(template.pk),
                f"{template.name} · {'Email' if template.channel == 'email' else 'Text'}",
            )
            for template in templates
        ]


class CallStartForm(forms.Form):
    rep_phone = forms.CharField(
        label="Your phone",
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="We ring this phone first, then connect you to the lead.",
        error_messages={"required": "Give the phone we should ring you on."},
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, auto_id="call_%s", **kwargs)


class CallLogForm(forms.Form):
    """How a call went: after a click-to-call (`call` set) or one made from another phone."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose…"), *CALL_OUTCOMES.items()],
        error_messages={"required": "Choose how the call went."},
    )
    duration = forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=0,
        max_value=LONGEST_CALL_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    meeting_at = _local_datetime("Meeting time (if one was booked)", required=False)
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    call = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, prefix: str = "log", **kwargs):
        super().__init__(data, prefix=prefix, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("outcome") == "meeting_booked" and not data.get("meeting_at"):
            self.add_error("meeting_at", "Give the meeting's date and time.")
        return data

    @property
    def duration_seconds(self) -> int | None:
        minutes = self.cleaned_data.get("duration")
        return None if minutes is None else minutes * 60


class TaskForm(forms.Form):
    title = forms.CharField(
        label="What needs doing",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Call back about the quote"}),
        error_messages={"required": "Say what needs doing."},
    )
    due_at = _local_datetime("Due")
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, auto_id="task_%s", **kwargs)


class MeetingForm(forms.Form):
    at = _local_datetime("Meeting time")
    note = forms.CharField(label="Note", required=False, max_length=200)
    confirmed = forms.BooleanField(
        label="The lead confirmed this time",
        required=False,
        help_text="Unconfirmed meetings wait in the owner's inbox until confirmed.",
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, auto_id="meeting_%s", **kwargs)


class ReplyTemplateForm(forms.Form):
    """A saved reply. Its variables are checked here, where the template language is known."""

    name = forms.CharField(
        max_length=120, help_text="Reps pick the template by this name, e.g. “Missed you”."
    )
    channel = forms.ChoiceField(
        label="For", choices=[("sms", "Text (SMS)"), ("email", "Email")], widget=forms.RadioSelect
    )
    subject = forms.CharField(label="Subject (email only)", required=False, max_length=300)
    body = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text='Use variables like {{ lead.first_name | "there" }}: they are filled in for '
        "each lead.",
        error_messages={"required": "Write the message."},
    )

    def clean(self) -> dict:
        data = super().clean()
        for field in ("subject", "body"):
            errors = templating.validate(data.get(field) or "")
            if errors:
                self.add_error(field, [str(error) for error in errors])
        return data
