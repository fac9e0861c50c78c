"""Benefit owner check-ins: a measurement or a monthly confidence and commentary, as a new file.

Nothing an owner writes changes the warehouse directly. `write_measurement` and `write_checkin`
validate what the owner typed and write it as a new CSV file (header and one row) into the
source directory's landing folders, `kpi_measurements/` and `benefit_checkins/` (SPEC section 2
and the benefit_checkins source of pipelines.load.contract). From there the landing sensors (or
the next `brw run`) load it with the usual validation, quarantine and idempotency: a check-in for
a benefit the register does not know is quarantined (`unknown_reference`), like any other row.

Files are append-only: each call writes a file with a name of its own
(`checkin-20261201T134501Z-oliver-hamilton-3f9c1a2b.csv`), first to a hidden temporary file in the
same folder (which the landing folder ignores: not *.csv), then linked to its final name, which
fails rather than replace an existing file; so the sensor never sees half a file, and nothing is
ever overwritten. `recorded_at` is when the owner saved it (UTC).

Who may write what (is this the user's benefit, is the KPI measured by hand:
marts.dim_kpi.is_manually_measured) is the caller's business (the dashboard's check-in page);
this module looks at no warehouse.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import secrets
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipelines.load.contract import BENEFIT_CHECKINS, KPI_MEASUREMENTS, OWNER_CONFIDENCE, Source
from pipelines.settings import DateWindow

MAX_TEXT_CHARS = 4000  # an evidence note or a commentary
MAX_ID_CHARS = 200


class CheckInError(ValueError):
    """What the owner typed cannot be recorded (the message says what to change), or the source
    directory would not read the file."""


def _now(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)  # a naive time is taken as UTC
    return now.astimezone(timezone.utc)


def _identifier(value: object, what: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise CheckInError(f"{what} is empty")
    if len(text) > MAX_ID_CHARS or any(ch in text for ch in "\r\n\t"):
        raise CheckInError(f"{what} {text[:40]!r} is not an identifier (one line, at most {MAX_ID_CHARS} characters)")
    return text


def _text(value: object, what: str, required: bool = False) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise CheckInError(f"{what} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise CheckInError(f"{what} has {len(text):,} characters; at most {MAX_TEXT_CHARS:,}")
    return text


def _date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CheckInError(f"{what} {value!r} is not a date in the form YYYY-MM-DD") from None


def _in_window(day: date, what: str, today: date) -> None:
    window = DateWindow.for_as_of(today)
    if day < window.earliest:
        raise CheckInError(f"{what} {day.isoformat()} is before {window.earliest.isoformat()}, the earliest plausible date")


def _value(value: object) -> str:
    """The measured value as the CSV holds it: a finite decimal number."""
    if isinstance(value, bool):
        raise CheckInError(f"value {value!r} is not a number")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation:
        raise CheckInError(f"value {value!r} is not a number (use . as the decimal point, no thousands separator)") from None
    if not number.is_finite() or not math.isfinite(float(number)):
        raise CheckInError(f"value {value!r} is not a finite number")
    text = format(number, "f")
    return text


def _slug(user: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", user.lower().split("@")[0]).strip("-")
    return slug[:40] or "owner"


def _check_read(source_dir: Path, source: Source) -> None:
    """The source directory must read contract-shaped files from the landing folder: not when
    its mapping (sources.yml, or BRW_MAPPING) maps the table from its own exports."""
    from pipelines.mapping import MappingError, mapping_for

    if not source_dir.is_dir():
        raise CheckInError(f"the source directory {source_dir} does not exist, so nothing is recorded")
    try:
        mapping = mapping_for(source_dir, os.environ.get("BRW_MAPPING") or None)
    except MappingError as exc:
        raise CheckInError(f"the source directory's mapping cannot be read, so nothing is recorded: {exc}") from None
    table_map = mapping.table(source.name) if mapping is not None else None
    if table_map is None:
        return
    where = mapping.path.name if mapping.path else "the mapping"
    how = "declares it absent" if table_map.absent else f"reads it from {table_map.input.file!r}"
    raise CheckInError(
        f"{where} maps the table {source.name} ({how}), so a file written to {source.path}/ would never be "
        f"loaded; nothing is recorded. Remove tables.{source.name} from {where} (the contract folder "
        f"{source.path}/ is then read as it is), or record the value in the export the mapping reads"
    )


def _write_new(folder: Path, stem: str, header: list[str], row: list[str]) -> Path:
    """Write header + row as a new CSV file in `folder`: temporary file, then a hard link to the
    final name (an existing name is never replaced: a new random part is tried)."""
    folder.mkdir(exist_ok=True)  # the source directory exists (_check_read)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerow(row)
    data = buffer.getvalue().encode("utf-8")
    temp = folder / f".{stem}-{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for _attempt in range(5):
            final = folder / f"{stem}-{secrets.token_hex(4)}.csv"
            try:
                os.link(temp, final)  # fails when `final` exists: never overwrites
            except FileExistsError:
                continue
            return final
        raise CheckInError(f"could not find a free file name in {folder}")
    finally:
        temp.unlink(missing_ok=True)


def _stamp(now: datetime) -> tuple[str, str]:
    """(recorded_at as the CSV holds it, the file name's time part)."""
    return now.isoformat(timespec="microseconds").replace("+00:00", "Z"), now.strftime("%Y%m%dT%H%M%SZ")


def write_measurement(
    source_dir: str | Path, *, kpi_id: str, measured_on: date | str, value: float | int | str | Decimal,
    evidence: str | None, recorded_by: str, now: datetime | None = None,
) -> Path:
    """Record one measurement of a KPI measured by hand: a new file in `<source>/kpi_measurements/`.

    `measured_on`: not after today (UTC); `value`: a finite number; `evidence`: a note on where
    the figure comes from (optional); `recorded_by`: who records it (e-mail or name). Returns the
    file written. Raises CheckInError with what to change."""
    source_dir = Path(source_dir)
    moment = _now(now)
    kpi = _identifier(kpi_id, "kpi_id")
    day = _date(measured_on, "measured_on")
    if day > moment.date():
        raise CheckInError(f"measured_on {day.isoformat()} is in the future (today is {moment.date().isoformat()})")
    _in_window(day, "measured_on", moment.date())
    number = _value(value)
    note = _text(evidence, "the evidence note")
    author = _identifier(recorded_by, "recorded_by")
    return _write_row(source_dir, KPI_MEASUREMENTS, "measurement", author, moment, {
        "kpi_id": kpi, "measured_on": day.isoformat(), "value": number, "recorded_by": author, "evidence": note})


def write_checkin(
    source_dir: str | Path, *, benefit_id: str, period_month: date | str, confidence: str, commentary: str | None,
    recorded_by: str, now: datetime | None = None,
) -> Path:
    """Record an owner's confidence and commentary for a benefit and month: a new file in
    `<source>/benefit_checkins/`.

    `period_month`: the first day of the month the check-in is about, not after the current
    month (UTC); `confidence`: on_track, at_risk or off_track ("On track" is taken too);
    `commentary`: free text, newlines kept. Returns the file written; a later check-in for the
    same benefit and month supersedes it (latest recorded_at wins). Raises CheckInError."""
    source_dir = Path(source_dir)
    moment = _now(now)
    benefit = _identifier(benefit_id, "benefit_id")
    month = _date(period_month, "period_month")
    if month.day != 1:
        raise CheckInError(f"period_month {month.isoformat()} is not the first day of a month "
                           f"(for {month:%B %Y} give {month.replace(day=1).isoformat()})")
    if month > moment.date().replace(day=1):
        raise CheckInError(f"period_month {month.isoformat()} is a future month (this month is "
                           f"{moment.date().replace(day=1).isoformat()})")
    _in_window(month, "period_month", moment.date())
    word = re.sub(r"[\s-]+", "_", str(confidence or "").strip().lower())
    if word not in OWNER_CONFIDENCE:
        raise CheckInError(f"confidence {confidence!r} is not one of {', '.join(OWNER_CONFIDENCE)}")
    text = _text(commentary, "the commentary")
    author = _identifier(recorded_by, "recorded_by")
    return _write_row(source_dir, BENEFIT_CHECKINS, "checkin", author, moment, {
        "benefit_id": benefit, "period_month": month.isoformat(), "confidence": word, "commentary": text,
        "recorded_by": author})


def _write_row(source_dir: Path, source, prefix: str, author: str, moment: datetime, fields: dict) -> Path:
    """One row of `source`'s contract columns (recorded_at: `moment`) as a new file of its landing
    folder, named <prefix>-<UTC stamp>-<author slug>-<random>.csv."""
    _check_read(source_dir, source)
    recorded_at, stamp = _stamp(moment)
    fields = {**fields, "recorded_at": recorded_at}
    header = [c.name for c in source.columns]
    return _write_new(source_dir / source.path, f"{prefix}-{stamp}-{_slug(author)}", header,
                      [fields[h] for h in header])
