"""Reading the CSV files managers import: encoding and dialect sniffing, rows, column mapping.

Pure functions over file objects. Rows are streamed one at a time, so a 50,000-row file never sits
in memory. The messages are for a manager who just exported a spreadsheet: they say what is wrong
and what to do in the spreadsheet program.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from leadfollow.errors import InvalidInput

SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
MAX_COLUMNS = 200
MAX_CELL_CHARS = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
SAVE_AS_CSV = "In your spreadsheet program, choose Save As › “CSV UTF-8 (Comma delimited)”."

# Lead fields a column can fill, in the order the mapping menu lists them.
TARGETS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split in two)",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "title": "Job title",
    "time_zone": "Time zone",
}
CUSTOM = "custom:"
CUSTOM_KEY_CHARS = 100

# Header names (lower-case, letters and digits only) that usually mean a field.
_GUESSES = {
    "first_name": {"firstname", "first", "givenname", "forename", "fname"},
    "last_name": {"lastname", "last", "surname", "familyname", "lname"},
    "full_name": {"name", "fullname", "contact", "contactname", "leadname", "person"},
    "email": {"email", "emailaddress", "mail", "workemail", "businessemail", "emails"},
    "phone": {
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "telephone",
        "tel",
        "workphone",
        "businessphone",
    },
    "company": {"company", "companyname", "organization", "organisation", "account", "business"},
    "title": {"title", "jobtitle", "position", "role"},
    "time_zone": {"timezone", "tz"},
}


class UnreadableFile(InvalidInput):
    """The upload is not a CSV file we can read; the message says how to fix it."""

    default_code = "unreadable_file"


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str
    headers: list[str]


def inspect_csv(file: BinaryIO) -> CsvFormat:
    """Find the file's encoding, delimiter and column names, or raise UnreadableFile."""
    file.seek(0)
    head = file.read(SAMPLE_BYTES)
    if not head.strip():
        raise UnreadableFile("The file is empty. Export your leads again and upload that file.")
    encoding = _encoding(head)
    _check_whole_file_decodes(file, encoding)
    text = _decoded_sample(head, encoding)
    if _looks_binary(text):
        raise UnreadableFile(f"This isn't a text file, so it can't be a CSV file. {SAVE_AS_CSV}")
    delimiter = _sniff_delimiter(text)
    rows = _sample_rows(text, delimiter, is_whole_file=len(head) < SAMPLE_BYTES)
    headers = _headers(rows[0] if rows else [])
    if len(head) < SAMPLE_BYTES and not any(any(cell.strip() for cell in row) for row in rows[1:]):
        raise UnreadableFile("The file has column names but no rows of leads below them.")
    return CsvFormat(encoding=encoding, delimiter=delimiter, headers=headers)


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UnreadableFile(f"This is an Excel workbook, not a CSV file. {SAVE_AS_CSV}")
    if head.startswith(b"%PDF"):
        raise UnreadableFile("This is a PDF, not a CSV file. Export the leads as CSV instead.")
    if b"\x00" in head:
        raise UnreadableFile(f"This isn't a text file, so it can't be a CSV file. {SAVE_AS_CSV}")
    return "utf-8"


def _check_whole_file_decodes(file: BinaryIO, encoding: str) -> None:
    """Read the file once in chunks: a bad byte at row 40,000 is found now, not mid-import."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    while chunk := file.read(CHUNK_BYTES):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line += chunk[: exc.start].count(b"\n")
            raise UnreadableFile(
                f"Line {line} has characters that aren't UTF-8, so the file was saved in another "
                f"encoding. {SAVE_AS_CSV}"
            ) from exc
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"The file ends in the middle of a character. {SAVE_AS_CSV}") from exc
    file.seek(0)


def _decoded_sample(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="ignore").decode(head)


def _looks_binary(text: str) -> bool:
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\r\n")
    return controls > max(2, len(text) // 100)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns, most columns."""
    lines = text.splitlines()[:50]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not widths:
            continue
        steady = sum(1 for width in widths if width == widths[0]) / len(widths)
        score = (widths[0] > 1, steady, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sample_rows(text: str, delimiter: str, *, is_whole_file: bool) -> list[list[str]]:
    if not is_whole_file:
        text = text.rsplit("\n", 1)[0]  # the last line may be cut in the middle
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"The first rows can't be read as CSV ({exc}). {SAVE_AS_CSV}") from exc


_LOOKS_LIKE_DATA = re.compile(r"@|^\+?[\d\s().-]{7,}$")


def _headers(first_row: list[str]) -> list[str]:
    names = [cell.strip() for cell in first_row]
    if not any(names):
        raise UnreadableFile(
            "The first row is empty. It must hold the column names, like: "
            "First name, Last name, Email, Phone."
        )
    if len(names) > MAX_COLUMNS:
        raise UnreadableFile(f"The file has {len(names)} columns; we read at most {MAX_COLUMNS}.")
    data_like = next((name for name in names if _LOOKS_LIKE_DATA.search(name)), None)
    if data_like:
        raise UnreadableFile(
            f"The first row looks like a lead (“{data_like[:60]}”), not column names. Add a row of "
            "column names at the top, like: First name, Last name, Email, Phone."
        )
    return [name or f"Column {index}" for index, name in enumerate(names, start=1)]


def read_rows(file: BinaryIO, *, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield `(row_number, cells)` for every row after the header, one at a time.

    Row numbers are a spreadsheet's: the header is row 1. Blank rows are counted and yielded
    with no cells. A row that can't be parsed raises UnreadableFile naming it.
    """
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    row_number = 0
    try:
        for cells in reader:
            row_number += 1
            if row_number > 1:
                yield row_number, cells
    except csv.Error as exc:
        raise UnreadableFile(f"Row {row_number + 1} can't be read: {exc}.") from exc
    except UnicodeDecodeError as exc:  # the stored file changed since it was checked
        raise UnreadableFile(f"Row {row_number + 1} isn't UTF-8. {SAVE_AS_CSV}") from exc
    finally:
        text.detach()  # leave the caller's file open; the caller closes it


# Column mapping


def target_choices(header: str) -> list[tuple[str, str]]:
    """What one column can be imported as: nothing, a lead field, or a custom field."""
    custom = custom_target(header)
    return [
        ("", "Don't import"),
        *TARGETS.items(),
        (custom, f"Custom field “{custom.removeprefix(CUSTOM)}”"),
    ]


def custom_target(header: str) -> str:
    return CUSTOM + header.strip()[:CUSTOM_KEY_CHARS]


def guess_mapping(headers: list[str]) -> list[str]:
    """A target per column from its name; unknown columns are not imported until chosen."""
    mapping, used = [], set()
    for header in headers:
        key = re.sub(r"[^a-z0-9]", "", header.lower())
        target = next((name for name, words in _GUESSES.items() if key in words), "")
        if target in used:
            target = ""
        used.add(target)
        mapping.append(target)
    return mapping


def row_fields(cells: list[str], mapping: list[str]) -> dict:
    """The `intake_lead` fields of one row, as the mapping says."""
    fields: dict = {}
    custom: dict[str, str] = {}
    full_name = ""
    for index, target in enumerate(mapping):
        value = cells[index].strip() if index < len(cells) else ""
        if not target:
            continue
        if target.startswith(CUSTOM):
            if value:
                custom[target.removeprefix(CUSTOM)] = value[:MAX_CELL_CHARS]
        elif target == "full_name":
            full_name = value
        else:
            fields[target] = value
    if full_name and not (fields.get("first_name") or fields.get("last_name")):
        first, _, last = full_name.partition(" ")
        fields["first_name"], fields["last_name"] = first, last.strip()
    if custom:
        fields["custom_fields"] = custom
    return fields


def extra_cells(cells: list[str], mapping: list[str]) -> int:
    """How many non-empty cells a row has beyond the header's columns (a stray delimiter)."""
    return sum(1 for cell in cells[len(mapping) :] if cell.strip())
