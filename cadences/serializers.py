"""API shapes for enrollments. Shape only: rules live in the services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cadences.models import Enrollment, Touch
from leadfollow.serializers import StrictSerializer

# What "next touch" means for a lead: planned, on its way, or an open task for the rep.
NEXT_TOUCH_STATUSES = (Touch.Status.PENDING, Touch.Status.QUEUED, Touch.Status.WAITING)


def enrollments_prefetch() -> Prefetch:
    """A lead's enrollments with their cadence, current step and open touches: three queries for
    a whole page of leads, whatever its size."""
    open_touches = Touch.objects.filter(status__in=NEXT_TOUCH_STATUSES).order_by(
        "due_at", "sequence"
    )
    return Prefetch(
        "enrollments",
        queryset=Enrollment.objects.select_related("cadence", "current_step")
        .prefetch_related(Prefetch("touches", queryset=open_touches, to_attr="open_touches"))
        .order_by("-enrolled_at", "-pk"),
    )


def prefetch_enrollments(leads: Iterable) -> None:
    leads = [
        lead
        for lead in leads
        if "enrollments" not in getattr(lead, "_prefetched_objects_cache", {})
    ]
    if leads:  # building the querysets costs more than the rest of an intake's answer
        prefetch_related_objects(leads, enrollments_prefetch())


def hold_enrollments(lead, enrollments: list[Enrollment]) -> None:
    """Give the lead these enrollments as its whole list, as `enrollments_prefetch` would have
    read it (each holding its cadence, current step and `open_touches`): for a lead whose every
    enrollment was just made in this transaction, so nothing is read back."""
    ordered = sorted(enrollments, key=lambda e: (e.enrolled_at, e.pk), reverse=True)
    # Django keeps a prefetched list as a queryset that has run; there is no public setter.
    held = lead.enrollments.all()
    held._result_cache = ordered
    held._prefetch_done = True
    lead._prefetched_objects_cache = {
        **getattr(lead, "_prefetched_objects_cache", {}),
        "enrollments": held,
    }


def prefetch_open_touches(enrollments: list[Enrollment]) -> None:
    """For enrollments read without enrollments_prefetch (the lead's enrollment list)."""
    open_touches = Touch.objects.filter(status__in=NEXT_TOUCH_STATUSES).order_by(
        "due_at", "sequence"
    )
    prefetch_related_objects(
        enrollments,
        "cadence",
        "current_step",
        Prefetch("touches", queryset=open_touches, to_attr="open_touches"),
    )


class EnrollmentIn(StrictSerializer):
    cadence = serializers.IntegerField(min_value=1, help_text="A cadence id of your workspace.")


class CadenceRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StepRefOut(serializers.Serializer):
    position = serializers.IntegerField(help_text="From 0, in the cadence's order.")
    kind = serializers.CharField()


class NextTouchOut(serializers.Serializer):
    due_at = serializers.DateTimeField()
    channel = serializers.CharField(help_text="email, sms, call or voicemail; empty for a task.")
    status = serializers.CharField()


class EnrollmentOut(serializers.ModelSerializer):
    cadence = CadenceRefOut()
    current_step = StepRefOut(allow_null=True)
    next_touch = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "cadence",
            "status",
            "exit_reason",
            "current_step",
            "next_touch",
            "enrolled_at",
            "ended_at",
        ]

    @staticmethod
    def _open(enrollment: Enrollment) -> list[Touch]:
        found = getattr(enrollment, "open_touches", None)
        if found is None:  # read on its own: one query
            found = list(
                enrollment.touches.filter(status__in=NEXT_TOUCH_STATUSES).order_by(
                    "due_at", "sequence"
                )
            )
        return found

    @extend_schema_field(NextTouchOut(allow_null=True))
    def get_next_touch(self, enrollment: Enrollment) -> dict | None:
        if not enrollment.is_live:
            return None
        touches = self._open(enrollment)
        return NextTouchOut(touches[0]).data if touches else None
