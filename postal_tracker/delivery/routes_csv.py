"""Importing routes from a CSV file, all or nothing: every row is checked
first, and a file with any bad row writes nothing and gets a report naming
each bad row (its line number in the file), the column and what is wrong.

Columns (header required, any order): ``worker`` (username), ``commune``
(unit code), ``weekdays`` (``Mon Wed Fri``, ``T2 T4 T6`` or ``0 2 4``),
``window_start`` and ``window_end`` (``08:00``), ``daily_capacity``, and
optionally ``post_point`` (unit code of the commune's post point).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from postal_tracker.delivery.routes import (
    CheckedRoute,
    RouteInput,
    check_route,
    save_route,
)
from postal_tracker.errors import N_, DomainError

COLUMNS = ("worker", "commune", "weekdays", "window_start", "window_end", "daily_capacity")
OPTIONAL = ("post_point",)
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True)
class BadRow:
    line: int  # 1 is the header
    field: str
    message: str  # a message id, translated when shown


@dataclass
class ImportReport:
    saved: int = 0
    bad: list[BadRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


def import_routes(session: Session, raw: bytes) -> ImportReport:
    """Check every row, then save all of them, or none if any is bad."""
    report = ImportReport()
    if len(raw) > MAX_BYTES:
        report.bad.append(BadRow(0, "file", N_("The file is larger than 1 MB.")))
        return report
    try:
        # utf-8-sig: spreadsheets on Windows save with a byte order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.bad.append(BadRow(0, "file", N_("Save the file as CSV UTF-8.")))
        return report
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        report.bad.extend(
            BadRow(1, c, N_("This column is missing from the header.")) for c in missing
        )
        return report
    reader.fieldnames = header
    checked: list[CheckedRoute] = []
    seen: dict[tuple[str, str], int] = {}
    capacity: dict[str, tuple[int, int]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if len(checked) + len(report.bad) >= MAX_ROWS:
                report.bad.append(BadRow(line, "file", N_("Too many rows; split the file.")))
                break
            if None in row or not any((v or "").strip() for v in row.values()):
                if None in row:
                    report.bad.append(
                        BadRow(line, "file", N_("This row has more values than the header."))
                    )
                continue
            values = {k: (row.get(k) or "") for k in (*COLUMNS, *OPTIONAL)}
            try:
                route = check_route(session, RouteInput(**values))
            except DomainError as exc:
                report.bad.append(BadRow(line, exc.field or "", exc.message))
                continue
            key = (route.worker.username, route.commune.code)
            if key in seen:
                report.bad.append(
                    BadRow(line, "commune", N_("This worker and commune appear twice in the file."))
                )
                continue
            seen[key] = line
            earlier = capacity.setdefault(route.worker.username, (route.daily_capacity, line))
            if earlier[0] != route.daily_capacity:
                report.bad.append(
                    BadRow(
                        line,
                        "daily_capacity",
                        N_("This worker's daily capacity differs from an earlier row."),
                    )
                )
                continue
            checked.append(route)
    except csv.Error:
        report.bad.append(BadRow(reader.line_num, "file", N_("This is not a readable CSV file.")))
    if not checked and not report.bad:
        report.bad.append(BadRow(1, "file", N_("The file has no rows.")))
    if report.bad:
        return report
    for route in checked:
        save_route(session, route)
    report.saved = len(checked)
    return report
