"""Create (or refresh) the demo workspace. Safe to run again: nothing is duplicated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from leadfollow.demo import run_demo_steps
from leadfollow.models import Membership, Role, User, Workspace
from leadfollow.tenancy import workspace_scope

# The demo is about leads, so this core command reaches into the leads app on purpose.
from leads.models import Activity, Consent, Lead, LeadSource
from leads.services import ConsentInput, intake_lead
from leads.services.changes import add_note, update_lead

DEMO_SLUG = "demo"
DEMO_PASSWORD = "leadfollow-demo"
DEMO_PEOPLE = [
    ("owner@demo.leadfollow.test", "Olivia", "Owens", Role.OWNER),
    ("manager@demo.leadfollow.test", "Marcus", "Reed", Role.MANAGER),
    ("rep1@demo.leadfollow.test", "Rosa", "Alvarez", Role.REP),
    ("rep2@demo.leadfollow.test", "Sam", "Carter", Role.REP),
]
OWNER_KEYS = {
    "rosa": "rep1@demo.leadfollow.test",
    "sam": "rep2@demo.leadfollow.test",
    "marcus": "manager@demo.leadfollow.test",
}
MANAGER = OWNER_KEYS["marcus"]

SITE = "https://brightside-solar.example/contact"
CONSENT_TEXT = (
    "By sending this form I agree that Brightside Solar may call, text and email me about my "
    "solar quote, including by automated means. Consent is not a condition of purchase. Message "
    "and data rates may apply. Reply STOP to opt out."
)
# key -> (name, kind, consent text shown with the source's form)
DEMO_SOURCES = {
    "api": ("Website API", LeadSource.Kind.API, ""),
    "form": ("Website contact form", LeadSource.Kind.FORM, CONSENT_TEXT),
    "show": ("Trade show import", LeadSource.Kind.IMPORT, ""),
}

# name | company domain (.example) | phone | company | title | source | status | owner | hours ago
DEMO_TABLE = """
Dana Kim|harborviewdental|2125550143|Harborview Dental|Practice Manager|form|new|-|0.4
Luis Ortega|sunbeltlogistics|7135550190|Sunbelt Logistics|Facilities Director|api|new|-|2
Priya Natarajan|lakeshoremontessori|3125550127|Lakeshore Montessori|Head of School|form|new|rosa|5
Ethan Brooks|peakbrewing|3035550112|Peak Brewing Co.|Owner|show|new|-|27
Grace Liu|cedarparkvet|5125550187|Cedar Park Veterinary|Clinic Director|api|new|sam|32
Noah Fischer|fischermachine|6125550105|Fischer Machine Works|COO|show|new|-|48
Amara Okafor|riversidecoop|4045550117|Riverside Food Co-op|General Manager|form|working|rosa|72
Jake Sullivan|harborfreight|6175550133|Harbor Freight Lines|Operations Manager|api|working|sam|78
Mei Tanaka|tanakaflorals|4155550139|Tanaka Florals|Owner|form|working|rosa|96
Carlos Mendez|desertpeakhotels|6025550184|Desert Peak Hotels|VP Engineering|show|working|marcus|120
Hannah Weiss|northgatechurch|2155550158|Northgate Church|Administrator|form|contacted|sam|144
Omar Haddad|haddadautobody|3135550171|Haddad Auto Body|Owner|api|contacted|rosa|168
Kaitlyn Moore|bluewaterresort|8085550122|Bluewater Resort|Chief Engineer|show|contacted|sam|192
Victor Nguyen|pacificcold|2065550176|Pacific Cold Storage|Plant Manager|api|contacted|marcus|216
Sofia Rossi|rossibakery|9545550111|Rossi Family Bakery|Co-owner|form|replied|rosa|240
Ben Carter|carterlumber|8015550123|Carter Lumber|President|show|replied|sam|264
Aisha Rahman|mesaschools|4805550199|Mesa Unified Schools|Energy Manager|api|replied|marcus|288
Tom Becker|beckerfarms|3145550166|Becker Family Farms|Owner|form|meeting|rosa|336
Laura Jensen|summitclinics|7205550109|Summit Clinics|Director of Operations|api|meeting|sam|360
Marcus Bell|gulfcoastmarine|3055550198|Gulf Coast Marine|Facilities Lead|show|meeting|marcus|384
Elena Petrova|evergreenstudios|5035550162|Evergreen Studios|Studio Manager|form|qualified|rosa|432
Derek Owens|vegasprintworks|7025550148|Vegas Printworks|Owner|api|qualified|sam|480
Nina Shah|shahpharmacy|6195550141|Shah Pharmacy|Pharmacist|show|unqualified|marcus|528
Greg Holloway|hollowayhardware|2145550161|Holloway Hardware|Owner|api|dormant|rosa|648
Rachel Adams|adamsdairy|9075550150|Adams Dairy|Owner|form|customer|sam|720
"""
DEMO_NOTES = {
    "Amara Okafor": ["Called at 10:05, no answer. Left a voicemail about the co-op rebate."],
    "Hannah Weiss": ["Sent the nonprofit financing one-pager. Board meets on the 14th."],
    "Kaitlyn Moore": ["Hawaii: call after 2 pm our time."],
    "Sofia Rossi": ["She replied by text: wants numbers for a 40 kW system."],
    "Tom Becker": [
        "Site visit booked for Thursday 9 am.",
        "Asked us to bring the battery storage brochure.",
    ],
    "Laura Jensen": ["Video call with Laura and their CFO next Tuesday."],
    "Elena Petrova": ["Budget approved, roof survey next."],
    "Nina Shah": ["Leases the building; the landlord will not allow panels."],
    "Rachel Adams": ["Signed! Install scheduled with the Anchorage crew."],
}
# A second inquiry through another source: the dedupe merges it into the first and logs it.
DEMO_REPEATS = {
    "Mei Tanaka": ("api", {"title": "Founder & Owner", "custom_fields": {"roof_type": "flat"}}),
    "Sofia Rossi": ("form", {"phone": "9545550111", "title": "Co-owner & Head Baker"}),
    "Rachel Adams": ("show", {"title": "Owner & Operator"}),
}


@dataclass(frozen=True)
class DemoLead:
    name: str
    fields: dict
    source: str  # a DEMO_SOURCES key
    status: str
    owner: str | None  # email of a demo member
    age: timedelta  # how long ago they first asked


def demo_leads() -> list[DemoLead]:
    leads = []
    for row in DEMO_TABLE.strip().splitlines():
        name, domain, phone, company, title, source, status, owner, hours = row.split("|")
        first, last = name.split(" ", 1)
        fields = {
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}@{domain}.example",
            "company": company,
            "title": title,
        }
        if "phone" not in DEMO_REPEATS.get(name, ("", {}))[1]:
            fields["phone"] = phone  # else they give it only when they ask again
        age = timedelta(hours=float(hours))
        leads.append(DemoLead(name, fields, source, status, OWNER_KEYS.get(owner), age))
    return leads


class Command(BaseCommand):
    help = "Create the demo workspace (slug 'demo') with its team, lead sources and demo leads."

    def handle(self, *args, **options) -> None:
        workspace, _ = Workspace.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "name": "Brightside Solar (demo)",
                "time_zone": "America/New_York",
                "default_region": "US",
            },
        )
        leads = demo_leads()
        # Scope outside the transaction: the intake steps run on commit and need the scope too.
        with workspace_scope(workspace), transaction.atomic():
            members = _seed_people(workspace)
            sources = _seed_sources(workspace)
            run_demo_steps("before_leads", workspace=workspace, members=members)
            added = sum(_seed_lead(workspace, demo, sources, members) for demo in leads)
            run_demo_steps("after_leads", workspace=workspace, members=members)
        self.stdout.write(self.style.SUCCESS(f"Demo workspace “{workspace.name}” is ready."))
        self.stdout.write(f"{len(leads)} demo leads ({added} added this time).")
        self.stdout.write(f"Log in with any of these (password: {DEMO_PASSWORD}):")
        for email, _first, _last, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<8} {email}")


def _seed_people(workspace: Workspace) -> dict[str, Membership]:
    members = {}
    for email, first, last, role in DEMO_PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD)
        user.first_name, user.last_name = first, last
        user.current_workspace = workspace
        user.set_password(DEMO_PASSWORD)
        user.save()
        members[email], _ = Membership.objects.update_or_create(
            workspace=workspace, user=user, defaults={"role": role, "is_active": True}
        )
    return members


def _seed_sources(workspace: Workspace) -> dict[str, LeadSource]:
    sources = {}
    for key, (name, kind, consent_text) in DEMO_SOURCES.items():
        sources[key], _ = LeadSource.objects.update_or_create(
            workspace=workspace,
            name=name,
            defaults={
                "kind": kind,
                "consent_text": consent_text,
                "consent_channels": ["email", "sms", "call", "voicemail"],
            },
        )
    return sources


def _seed_lead(
    workspace: Workspace,
    demo: DemoLead,
    sources: dict[str, LeadSource],
    members: dict[str, Membership],
) -> bool:
    """Add one demo lead and its story, unless an earlier run did. Returns whether it did."""
    email = demo.fields["email"]
    if Lead.objects.filter(workspace=workspace, email=email).exists():
        return False  # asking again on every run would pile up re-inquiries
    source = sources[demo.source]
    consent = None
    if source.consent_text:
        consent = ConsentInput(
            channel="sms",
            also=("call", "voicemail", "email"),
            text=source.consent_text,
            source_url=SITE,
        )
    lead = intake_lead(
        workspace=workspace, fields=demo.fields, source=source, consent=consent, via=source.kind
    ).lead
    if demo.name in DEMO_REPEATS:
        via, fields = DEMO_REPEATS[demo.name]
        intake_lead(workspace=workspace, fields={"email": email, **fields}, source=sources[via])
    actor = members[demo.owner or MANAGER]
    if demo.owner:
        changes = {"owner": members[demo.owner].pk}
        update_lead(workspace=workspace, lead_id=lead.pk, changes=changes, actor=members[MANAGER])
    if demo.status != Lead.Status.NEW:
        changes = {"status": demo.status}
        update_lead(workspace=workspace, lead_id=lead.pk, changes=changes, actor=actor)
    for text in DEMO_NOTES.get(demo.name, []):
        add_note(workspace=workspace, lead_id=lead.pk, text=text, actor=actor)
    _backdate(workspace, lead, demo.age)
    return True


def _backdate(workspace: Workspace, lead: Lead, age: timedelta) -> None:
    """Demo only: move the lead's story into the past, so the list shows real ages and order.

    Services stamp "now"; here the inquiry goes back `age` and every later event is spread over
    the time since, the last one a little before now.
    """
    start = timezone.now() - age
    activities = list(Activity.objects.filter(workspace=workspace, lead=lead).order_by("id"))
    arrival = [a for a in activities if a.kind in (Activity.Kind.CREATED, Activity.Kind.CONSENT)]
    later = [a for a in activities if a not in arrival]
    for activity in arrival:
        activity.occurred_at = start
    step = age * 0.8 / max(len(later), 1)
    for index, activity in enumerate(later, start=1):
        # Up to half a step earlier, unevenly: events do not all fall at one time of day, and
        # their order stays.
        activity.occurred_at = start + step * index - step * ((index * 37 % 50) / 100)
    Activity.objects.bulk_update(activities, ["occurred_at"])
    Consent.objects.filter(workspace=workspace, lead=lead).update(captured_at=start)
    Lead.objects.filter(workspace=workspace, pk=lead.pk).update(
        created_at=start, last_activity_at=max(a.occurred_at for a in activities)
    )
