"""Rows of an import: streaming them from storage, cleaning them, and explaining rejections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import BinaryIO

from leadfollow.models import Workspace
from leads import csv_files
from leads.models import LeadImport, LeadImportReject
from leads.normalize import InvalidLead, clean_lead_fields


class RowRejected(Exception):
    """A row that can't become a lead; `reason` is what the manager reads."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def row_fields(lead_import: LeadImport, cells: list[str]) -> dict:
    extra = csv_files.extra_cells(cells, lead_import.mapping)
    if extra:
        raise RowRejected(
            f"The row has {len(cells)} values but the file has {len(lead_import.headers)} "
            "columns: a value probably contains an unquoted delimiter."
        )
    return csv_files.row_fields(cells, lead_import.mapping)


def clean_row(workspace: Workspace, lead_import: LeadImport, cells: list[str]) -> dict:
    try:
        return clean_lead_fields(workspace, row_fields(lead_import, cells))
    except InvalidLead as exc:
        raise RowRejected(reject_reason(lead_import, exc)) from exc


def reject_reason(lead_import: LeadImport, exc: InvalidLead) -> str:
    """ "Email: “ann@” is not a valid email address." named after the file's own column."""
    columns = dict(zip(lead_import.mapping, lead_import.headers, strict=True))
    columns.setdefault("custom_fields", "Custom fields")
    parts = []
    for name, messages in exc.errors.items():
        column = columns.get(name)
        if column is None and name in {"first_name", "last_name"}:
            column = columns.get("full_name")
        if column is None:
            parts.extend(messages)
        else:
            parts.extend(f"{column}: {message}" for message in messages)
    return " ".join(parts)


def build_reject(lead_import, stage: str, row_number: int, cells: list[str], reason: str):
    return LeadImportReject(
        workspace_id=lead_import.workspace_id,
        lead_import=lead_import,
        stage=stage,
        row_number=row_number,
        values=cells,
        reason=reason,
    )


def batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class ImportRows:
    """The file's data rows, with how far into the file the reading is (0.0 to 1.0)."""

    def __init__(self, file: BinaryIO, lead_import: LeadImport):
        self._file, self._size = file, max(lead_import.size, 1)
        self._rows = csv_files.read_rows(
            file, encoding=lead_import.encoding, delimiter=lead_import.delimiter
        )

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self._rows

    def close(self) -> None:
        self._rows.close()

    @property
    def position(self) -> float:
        return min(1.0, self._file.tell() / self._size)


@contextmanager
def open_rows(lead_import: LeadImport) -> Iterator[ImportRows]:
    with lead_import.file.storage.open(lead_import.file.name, "rb") as file:
        rows = ImportRows(file, lead_import)
        try:
            yield rows
        finally:
            rows.close()
