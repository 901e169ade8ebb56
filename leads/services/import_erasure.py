"""Erasing a person (GDPR) from the CSV files managers imported.

An import keeps its file after it ran (its rejected rows are downloaded from it), so the file
still holds the person's row. The row is emptied in place, not removed: every other row keeps
its number, which the import's progress and its rejected rows refer to. The person is found by
the hash of their email or phone alone, so the task that does this never carries the address.
"""

from __future__ import annotations

import csv
import io
import tempfile

from django.core.files import File

from channels.services import address_hash
from leadfollow.models import Workspace
from leads import csv_files
from leads.models import LeadImport
from leads.phones import PhoneInvalid, parse_phone

_ADDRESS_TARGETS = ("email", "phone")
# A running import reads its file as it goes: it is left alone (it holds the row it read).
_BUSY = (LeadImport.Status.VALIDATING, LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)


def erase_from_import_files(*, workspace: Workspace, address_hashes: list[str]) -> int:
    """Empty, in the workspace's import files, every row whose email or phone hashes to one of
    `address_hashes`. Returns how many files were rewritten."""
    wanted = frozenset(address_hashes)
    if not wanted:
        return 0
    imports = LeadImport.objects.filter(workspace=workspace).exclude(status__in=_BUSY)
    return sum(_rewrite_without(workspace, lead_import, wanted) for lead_import in imports)


def _rewrite_without(workspace: Workspace, lead_import: LeadImport, wanted: frozenset) -> bool:
    mapping = lead_import.mapping or csv_files.guess_mapping(lead_import.headers)
    columns = [(i, target) for i, target in enumerate(mapping) if target in _ADDRESS_TARGETS]
    storage, name = lead_import.file.storage, lead_import.file.name
    if not columns or not name or not storage.exists(name):
        return False
    with storage.open(name, "rb") as source, tempfile.TemporaryFile() as copy:
        text_in = io.TextIOWrapper(source, encoding=lead_import.encoding, newline="")
        text_out = io.TextIOWrapper(copy, encoding=lead_import.encoding, newline="")
        writer = csv.writer(text_out, delimiter=lead_import.delimiter)
        emptied = False
        try:
            for number, cells in enumerate(csv.reader(text_in, delimiter=lead_import.delimiter)):
                if number and _is_the_person(workspace, cells, columns, wanted):
                    cells, emptied = [""] * len(cells), True
                writer.writerow(cells)
        except (csv.Error, UnicodeError):
            return False  # a file that no longer reads holds no row anyone can see
        text_out.flush()
        text_in.detach()
        if not emptied:
            return False
        copy.seek(0)
        lead_import.file.save("leads.csv", File(copy), save=False)
        text_out.detach()
    LeadImport.objects.filter(workspace=workspace, pk=lead_import.pk).update(
        file=lead_import.file.name
    )
    storage.delete(name)
    return True


def _is_the_person(workspace: Workspace, cells: list[str], columns, wanted: frozenset) -> bool:
    for index, target in columns:
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            continue
        if target == "phone":
            try:
                value = parse_phone(value, default_region=workspace.default_region).e164
            except PhoneInvalid:
                continue
        if address_hash(value) in wanted:
            return True
    return False
