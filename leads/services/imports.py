"""CSV import: upload, map columns, dry run, then import row by row through `intake_lead`.

The file is streamed from storage in every stage, so memory stays flat however long it is. The
import commits every `LEAD_IMPORT_BATCH_ROWS` rows together with its progress, so a retried or
re-delivered task resumes after the last committed row and never imports a row twice.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from leadfollow.errors import Conflict, DomainError, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import workspace_scope
from leads import csv_files
from leads.csv_files import UnreadableFile
from leads.models import Lead, LeadImport, LeadImportReject, LeadSource
from leads.normalize import InvalidLead
from leads.services.import_rows import (
    RowRejected,
    batches,
    build_reject,
    clean_row,
    open_rows,
    reject_reason,
    row_fields,
)
from leads.services.intake import intake_lead

logger = logging.getLogger(__name__)

Status = LeadImport.Status
Stage = LeadImportReject.Stage
PREVIEW_BATCH_ROWS = 1000
SAMPLE_ROWS = 3
EDITABLE = {Status.UPLOADED, Status.MAPPED, Status.PREVIEWED}


class ImportNotEditable(Conflict):
    default_code = "import_not_editable"


# Reads


def get_import(*, workspace: Workspace, import_id: int) -> LeadImport:
    try:
        return LeadImport.objects.select_related("source", "created_by__user").get(
            workspace=workspace, pk=import_id
        )
    except LeadImport.DoesNotExist as exc:
        raise NotFound("No import with this id in your workspace.") from exc


def recent_imports(*, workspace: Workspace) -> QuerySet[LeadImport]:
    return LeadImport.objects.filter(workspace=workspace).select_related(
        "source", "created_by__user"
    )


def import_rejects(*, workspace: Workspace, lead_import: LeadImport) -> QuerySet[LeadImportReject]:
    """The rows the import rejected, or for a dry run the rows it would reject."""
    stage = Stage.IMPORT if lead_import.has_run else Stage.PREVIEW
    return LeadImportReject.objects.filter(
        workspace=workspace, lead_import=lead_import, stage=stage
    ).order_by("row_number")


def import_samples(*, lead_import: LeadImport) -> list[list[str]]:
    """Up to three values of each column from the first rows, to help a manager map it."""
    columns: list[list[str]] = [[] for _ in lead_import.headers]
    with open_rows(lead_import) as rows:
        for _, cells in islice((row for row in rows if any(row[1])), 20):
            for index, cell in enumerate(cells[: len(columns)]):
                if cell.strip() and len(columns[index]) < SAMPLE_ROWS:
                    columns[index].append(cell.strip()[:80])
    return columns


def rejects_csv(*, workspace: Workspace, lead_import: LeadImport) -> Iterator[str]:
    """The rejected rows as CSV text, chunk by chunk: the file's columns plus `reason`."""
    buffer = io.StringIO("\ufeff")  # the BOM makes Excel read the file as UTF-8
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer)
    width = len(lead_import.headers)
    writer.writerow(["row", *lead_import.headers, "reason"])
    # A streamed response runs after the request's scope has closed: open it again here.
    with workspace_scope(workspace):
        rejects = import_rejects(workspace=workspace, lead_import=lead_import)
        for reject in rejects.iterator(chunk_size=1000):
            cells = (reject.values + [""] * width)[: max(width, len(reject.values))]
            writer.writerow([reject.row_number, *cells, reject.reason])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


# Actions


def create_import(
    *, workspace: Workspace, upload: UploadedFile, actor: Membership | None
) -> LeadImport:
    """Store an uploaded CSV file with a guessed column mapping. Raises UnreadableFile."""
    if upload.size > settings.LEAD_IMPORT_MAX_BYTES:
        limit = settings.LEAD_IMPORT_MAX_BYTES // (1024 * 1024)
        raise UnreadableFile(f"The file is larger than {limit} MB. Split it into smaller files.")
    found = csv_files.inspect_csv(upload)
    upload.seek(0)
    lead_import = LeadImport(
        workspace=workspace,
        original_name=Path(upload.name or "leads.csv").name[:255],
        size=upload.size,
        encoding=found.encoding,
        delimiter=found.delimiter,
        headers=found.headers,
        mapping=csv_files.guess_mapping(found.headers),
        created_by=actor,
    )
    lead_import.file.save("leads.csv", upload, save=False)
    lead_import.save()
    logger.info("lead import uploaded import_id=%s bytes=%s", lead_import.pk, upload.size)
    return lead_import


@transaction.atomic
def map_import_columns(
    *, workspace: Workspace, import_id: int, mapping: list[str], source_id: int | None
) -> LeadImport:
    """Save what each column fills and queue the dry run. Raises InvalidInput naming the clash."""
    lead_import = _locked(workspace, import_id)
    if lead_import.status not in EDITABLE:
        raise ImportNotEditable("This import has started: its columns can't change any more.")
    _check_mapping(lead_import.headers, mapping)
    source = None
    if source_id is not None:
        source = LeadSource.objects.filter(
            workspace=workspace, pk=source_id, kind=LeadSource.Kind.IMPORT
        ).first()
        if source is None:
            raise InvalidInput("Choose a lead source from the list.", field="source")
    lead_import.mapping, lead_import.source = mapping, source
    _reset(lead_import, Status.MAPPED)
    lead_import.save()
    LeadImportReject.objects.filter(workspace=workspace, lead_import=lead_import).delete()
    _enqueue("preview_lead_import", workspace, lead_import)
    return lead_import


def _check_mapping(headers: list[str], mapping: list[str]) -> None:
    if len(mapping) != len(headers):
        raise InvalidInput("Choose what each column holds.")
    allowed = set(csv_files.TARGETS) | {csv_files.custom_target(header) for header in headers}
    if any(target and target not in allowed for target in mapping):
        raise InvalidInput("Choose what each column holds from its list.")
    seen: dict[str, str] = {}
    for header, target in zip(headers, mapping, strict=True):
        if target and target in seen:
            name = csv_files.TARGETS.get(target, target.removeprefix(csv_files.CUSTOM))
            raise InvalidInput(f"“{seen[target]}” and “{header}” both go to {name}: pick one.")
        seen[target] = header
    if not {"email", "phone"} & set(mapping):
        raise InvalidInput("Choose the column with the email or the phone: every lead needs one.")


def preview_import(*, workspace: Workspace, import_id: int) -> LeadImport | None:
    """Dry run: check every row with the API's rules and forecast created, merged and rejected.

    Writes no lead, account or activity; only the forecast and the rows that would fail, on the
    import itself. Safe to run twice: a second run starts the forecast over.
    """
    with transaction.atomic():
        lead_import = _locked(workspace, import_id)
        if lead_import.status not in {Status.MAPPED, Status.VALIDATING}:
            return lead_import  # re-mapped, started or cancelled meanwhile
        _reset(lead_import, Status.VALIDATING)
        lead_import.save()
        LeadImportReject.objects.filter(workspace=workspace, lead_import=lead_import).delete()
    forecast = _Forecast()
    try:
        with open_rows(lead_import) as rows:
            for batch in batches(rows, PREVIEW_BATCH_ROWS):
                _preview_batch(workspace, lead_import, batch, forecast)
                _save_progress(lead_import, batch[-1][0] - 1, position=rows.position)
    except UnreadableFile as exc:
        return fail_import(workspace=workspace, import_id=import_id, message=exc.message)
    LeadImport.objects.filter(pk=lead_import.pk, status=Status.VALIDATING).update(
        status=Status.PREVIEWED,
        total_rows=forecast.rows,
        preview_created=forecast.created,
        preview_merged=forecast.merged,
        preview_rejected=forecast.rejected,
        progress=100,
        updated_at=timezone.now(),
    )
    return get_import(workspace=workspace, import_id=import_id)


@dataclass
class _Forecast:
    rows: int = 0
    created: int = 0
    merged: int = 0
    rejected: int = 0
    # Hashes of the emails and phones met earlier in the file: a later row with one merges.
    # Ints, not the strings: a third of the memory on a big file, and a forecast can afford
    # a 64-bit collision.
    seen: set[int] = field(default_factory=set)


def _preview_batch(workspace, lead_import: LeadImport, batch: list, forecast: _Forecast) -> None:
    clean_rows, rejects = [], []
    for row_number, cells in batch:
        if not any(cell.strip() for cell in cells):
            continue
        forecast.rows += 1
        try:
            clean_rows.append(clean_row(workspace, lead_import, cells))
        except RowRejected as exc:
            rejects.append(build_reject(lead_import, Stage.PREVIEW, row_number, cells, exc.reason))
    known = _known_contacts(workspace, clean_rows)
    for clean in clean_rows:
        keys = {value for value in (clean.get("email"), clean.get("phone")) if value}
        hashes = {hash(key) for key in keys}
        if keys & known or hashes & forecast.seen:
            forecast.merged += 1
        else:
            forecast.created += 1
        forecast.seen |= hashes
    forecast.rejected += len(rejects)
    LeadImportReject.objects.bulk_create(rejects)


def _known_contacts(workspace: Workspace, clean_rows: list[dict]) -> set[str]:
    emails = [row["email"] for row in clean_rows if row.get("email")]
    phones = [row["phone"] for row in clean_rows if row.get("phone")]
    matches = Lead.objects.filter(Q(email__in=emails) | Q(phone__in=phones), workspace=workspace)
    return {value for pair in matches.values_list("email", "phone") for value in pair if value}


@transaction.atomic
def start_import(*, workspace: Workspace, import_id: int) -> LeadImport:
    """Queue the import of a previewed file, creating its lead source if none was chosen."""
    lead_import = _locked(workspace, import_id)
    if lead_import.status != Status.PREVIEWED:
        raise ImportNotEditable("Only a checked file that hasn't been imported yet can start.")
    if lead_import.source is None:
        lead_import.source = _new_source(workspace, lead_import.original_name)
    lead_import.status, lead_import.progress, lead_import.processed_rows = Status.QUEUED, 0, 0
    lead_import.save()
    _enqueue("run_lead_import", workspace, lead_import)
    return lead_import


def _new_source(workspace: Workspace, file_name: str) -> LeadSource:
    base = f"CSV import: {file_name}"[:110]
    name, number = base, 1
    while LeadSource.objects.filter(workspace=workspace, name=name).exists():
        number += 1
        name = f"{base} ({number})"
    return LeadSource.objects.create(workspace=workspace, name=name, kind=LeadSource.Kind.IMPORT)


def run_import(*, workspace: Workspace, import_id: int) -> LeadImport | None:
    """Import every row through `intake_lead`, committing batches together with the progress.

    Idempotent: a second call (a retry, a redelivered task) skips the rows already committed,
    and a copy running alongside stops at its next batch. Cancelling stops it between batches.
    """
    lead_import = _claim(workspace, import_id)
    if lead_import is None:
        return None
    position = lead_import.processed_rows
    try:
        with open_rows(lead_import) as rows:
            remaining = islice(rows, position, None)
            for batch in batches(remaining, settings.LEAD_IMPORT_BATCH_ROWS):
                if not _import_batch(workspace, import_id, position, batch):
                    return get_import(workspace=workspace, import_id=import_id)
                position += len(batch)
    except UnreadableFile as exc:
        return fail_import(workspace=workspace, import_id=import_id, message=exc.message)
    LeadImport.objects.filter(pk=import_id, status=Status.RUNNING).update(
        status=Status.DONE, progress=100, finished_at=timezone.now(), updated_at=timezone.now()
    )
    logger.info("lead import done import_id=%s", import_id)
    return get_import(workspace=workspace, import_id=import_id)


def _claim(workspace: Workspace, import_id: int) -> LeadImport | None:
    with transaction.atomic():
        lead_import = (
            LeadImport.objects.select_for_update().filter(workspace=workspace, pk=import_id).first()
        )
        if lead_import is None or lead_import.status not in {Status.QUEUED, Status.RUNNING}:
            return None
        if lead_import.status == Status.QUEUED:
            lead_import.status, lead_import.started_at = Status.RUNNING, timezone.now()
            lead_import.save(update_fields=["status", "started_at", "updated_at"])
    return lead_import


def _import_batch(workspace: Workspace, import_id: int, start: int, batch: list) -> bool:
    """Import one batch and record its progress in one transaction. False: stop here."""
    with transaction.atomic():
        lead_import = _locked(workspace, import_id)
        if lead_import.status != Status.RUNNING or lead_import.processed_rows != start:
            return False  # cancelled, or another copy of the task got here first
        rejects = []
        for row_number, cells in batch:
            if not any(cell.strip() for cell in cells):
                continue
            try:
                created = _import_row(workspace, lead_import, cells)
            except RowRejected as exc:
                rejects.append(
                    build_reject(lead_import, Stage.IMPORT, row_number, cells, exc.reason)
                )
                continue
            if created:
                lead_import.created_count += 1
            else:
                lead_import.merged_count += 1
        LeadImportReject.objects.bulk_create(rejects)
        lead_import.rejected_count += len(rejects)
        lead_import.processed_rows = start + len(batch)
        total = max(lead_import.total_rows, 1)
        done = lead_import.created_count + lead_import.merged_count + lead_import.rejected_count
        lead_import.progress = min(99, done * 100 // total)
        lead_import.save()
    return True


def _import_row(workspace: Workspace, lead_import: LeadImport, cells: list[str]) -> bool:
    fields = row_fields(lead_import, cells)
    try:
        result = intake_lead(
            workspace=workspace,
            fields=fields,
            source=lead_import.source,
            actor=lead_import.created_by,
            via="import",
        )
    except InvalidLead as exc:
        raise RowRejected(reject_reason(lead_import, exc)) from exc
    except DomainError as exc:
        raise RowRejected(exc.message) from exc
    except IntegrityError as exc:
        # intake_lead already retried; the row's savepoint rolled back, the batch goes on.
        raise RowRejected("Another lead was saved with the same details at the same time.") from exc
    return result.created


@transaction.atomic
def cancel_import(*, workspace: Workspace, import_id: int) -> LeadImport:
    """Stop an import. Rows already imported stay; the rest are not read."""
    lead_import = _locked(workspace, import_id)
    if lead_import.status in {Status.DONE, Status.FAILED, Status.CANCELLED}:
        return lead_import
    lead_import.status, lead_import.finished_at = Status.CANCELLED, timezone.now()
    lead_import.save(update_fields=["status", "finished_at", "updated_at"])
    return lead_import


def _locked(workspace: Workspace, import_id: int) -> LeadImport:
    lead_import = (
        LeadImport.objects.select_for_update(of=("self",))
        .select_related("source", "created_by")
        .filter(workspace=workspace, pk=import_id)
        .first()
    )
    if lead_import is None:
        raise NotFound("No import with this id in your workspace.")
    return lead_import


def _reset(lead_import: LeadImport, status: str) -> None:
    lead_import.status, lead_import.error = status, ""
    lead_import.progress = lead_import.processed_rows = lead_import.total_rows = 0
    lead_import.preview_created = lead_import.preview_merged = lead_import.preview_rejected = 0


def fail_import(*, workspace: Workspace, import_id: int, message: str) -> LeadImport:
    """Mark an import failed with a message for the manager. Rows already imported stay."""
    logger.info("lead import failed import_id=%s", import_id)
    LeadImport.objects.filter(workspace=workspace, pk=import_id).update(
        status=Status.FAILED, error=message, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return get_import(workspace=workspace, import_id=import_id)


def _save_progress(lead_import: LeadImport, rows: int, *, position: float) -> None:
    LeadImport.objects.filter(pk=lead_import.pk, status=Status.VALIDATING).update(
        processed_rows=rows, progress=min(99, int(position * 100)), updated_at=timezone.now()
    )


def _enqueue(task_name: str, workspace: Workspace, lead_import: LeadImport) -> None:
    from leads import tasks  # tasks import the services they call

    task = getattr(tasks, task_name)
    job = partial(task.delay, workspace_id=workspace.pk, import_id=lead_import.pk)
    transaction.on_commit(job)
