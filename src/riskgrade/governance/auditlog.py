"""An append-only audit log with a hash chain.

Section 6 of the source document has levels "approved collectively by the leadership
group"; every change to a level, an owner, a measure or a card must be traceable: who,
when, what, old value, new value and why. :class:`AuditLog` keeps those entries in
order and lets nothing be changed or removed: entries are frozen, the log has no
delete or assignment, and :meth:`AuditLog.append` is the only way in.

Each entry carries ``prev_hash`` (the hash of the entry before it, 64 zeros for the
first) and ``hash`` = SHA-256 of the canonical JSON of the entry's fields together with
``prev_hash``. Editing, removing or reordering any entry of an exported log breaks the
chain, and :meth:`AuditLog.from_json` refuses it, naming the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from riskgrade.exceptions import ConfigError

__all__ = ["AUDIT_LOG_COLUMNS", "AUDIT_LOG_FORMAT", "AuditEntry", "AuditLog"]

AUDIT_LOG_FORMAT = "riskgrade-audit-log"
GENESIS = "0" * 64

#: Columns of :meth:`AuditLog.to_frame`.
AUDIT_LOG_COLUMNS = [
    "seq",
    "when",
    "actor",
    "action",
    "subject",
    "field",
    "old",
    "new",
    "reason",
    "prev_hash",
    "hash",
]


def _scalar(v: Any) -> Any:
    """A JSON-safe scalar (numpy/pandas values, dates -> ISO text)."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    return str(v)


class AuditEntry(BaseModel):
    """One entry of the audit log (frozen).

    Parameters
    ----------
    seq : int
        Position in the log, from 0.
    when : datetime
        When the change was made (given by the caller; the log never reads the clock).
    actor : str
        Who made it.
    action : str
        What kind of change (``"override"``, ``"override_expired"``, ``"card_issued"``, ...).
    subject : str
        What it applies to (a risk point id, a card id, ...).
    field : str
        The field changed (``"level"``, ``"owner"``, ...).
    old, new : scalar
        Value before and after.
    reason : str
        Why.
    prev_hash : str
        Hash of the previous entry.
    hash : str
        Hash of this entry (see the module docstring).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=0)
    when: datetime
    actor: str
    action: str
    subject: str
    field: str = ""
    old: bool | int | float | str | None = None
    new: bool | int | float | str | None = None
    reason: str = ""
    prev_hash: str
    hash: str

    @field_validator("actor", "action", "subject")
    @classmethod
    def _non_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    def payload(self) -> dict[str, Any]:
        """The hashed fields (everything except ``hash``)."""
        d = self.model_dump(mode="json")
        d.pop("hash")
        return d

    def expected_hash(self) -> str:
        """Hash recomputed from the entry's fields."""
        return _digest(self.payload())


def _digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _as_datetime(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when
    if isinstance(when, date):
        return datetime(when.year, when.month, when.day)
    raise TypeError(f"when must be a date or datetime, got {type(when).__name__}")


class AuditLog:
    """Append-only log of changes, exportable as a table and as hash-chained JSON.

    Entries can be read (iteration, indexing, :meth:`to_frame`) but not changed or
    removed. Times must not go backwards.

    Examples
    --------
    >>> from datetime import date
    >>> log = AuditLog()
    >>> e = log.append(when=date(2024, 3, 1), actor="leading group", action="override",
    ...                subject="RP1", field="level", old=2, new=1, reason="cases in 2023")
    >>> len(log), log[0].new
    (1, 1)
    >>> AuditLog.from_json(log.to_json()).head_hash == log.head_hash
    True
    """

    __slots__ = ("_entries",)
    _entries: tuple[AuditEntry, ...]

    def __init__(self) -> None:
        object.__setattr__(self, "_entries", ())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("AuditLog is append-only: use append()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("AuditLog is append-only")

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self._entries)

    def __getitem__(self, i: int) -> AuditEntry:
        return self._entries[i]

    def __repr__(self) -> str:
        return f"AuditLog(entries={len(self)}, head={self.head_hash[:12]})"

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        """The entries, oldest first (a tuple: read-only)."""
        return self._entries

    @property
    def head_hash(self) -> str:
        """Hash of the last entry (64 zeros when empty)."""
        return self._entries[-1].hash if self._entries else GENESIS

    def append(
        self,
        *,
        when: date | datetime,
        actor: str,
        action: str,
        subject: str,
        field: str = "",
        old: Any = None,
        new: Any = None,
        reason: str = "",
    ) -> AuditEntry:
        """Add an entry at the end and return it.

        Raises
        ------
        ValueError
            When ``when`` is earlier than the last entry, or ``actor``, ``action`` or
            ``subject`` is empty.
        """
        ts = _as_datetime(when)
        if self._entries and ts < self._entries[-1].when:
            raise ValueError(
                f"audit log is chronological: when={ts.isoformat()} is before the last entry "
                f"({self._entries[-1].when.isoformat()})"
            )
        payload = {
            "seq": len(self._entries),
            "when": ts,
            "actor": str(actor),
            "action": str(action),
            "subject": str(subject),
            "field": str(field),
            "old": _scalar(old),
            "new": _scalar(new),
            "reason": str(reason),
            "prev_hash": self.head_hash,
        }
        probe = AuditEntry(**payload, hash=GENESIS)
        entry = probe.model_copy(update={"hash": probe.expected_hash()})
        object.__setattr__(self, "_entries", (*self._entries, entry))
        return entry

    def to_frame(self) -> pd.DataFrame:
        """The log as a table, one row per entry (columns :data:`AUDIT_LOG_COLUMNS`)."""
        rows = [e.model_dump() for e in self._entries]
        df = pd.DataFrame(rows, columns=AUDIT_LOG_COLUMNS)
        return df.astype({"old": object, "new": object})

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON export (format, entries, head hash)."""
        doc = {
            "format": AUDIT_LOG_FORMAT,
            "format_version": 1,
            "head_hash": self.head_hash,
            "entries": [e.model_dump(mode="json") for e in self._entries],
        }
        return json.dumps(doc, ensure_ascii=False, indent=indent, sort_keys=True)

    def verify(self) -> None:
        """Check the hash chain (always holds for a log built with :meth:`append`)."""
        _verify(self._entries, source=None)

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> AuditLog:
        """Load a log exported with :meth:`to_json`, verifying the hash chain.

        Raises
        ------
        ConfigError
            When the text is not an audit log, an entry is invalid, or the chain is
            broken (an entry edited, removed or reordered), naming the entry.
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"audit log is not valid JSON: {err}", source=source) from None
        if not isinstance(doc, dict) or doc.get("format") != AUDIT_LOG_FORMAT:
            raise ConfigError("not a riskgrade audit log (missing 'format')", source=source)
        entries = []
        for i, raw in enumerate(doc.get("entries", [])):
            try:
                entries.append(AuditEntry.model_validate(raw))
            except ValueError as err:
                raise ConfigError(f"audit log entry {i} is invalid: {err}", source=source) from None
        _verify(tuple(entries), source=source)
        head = entries[-1].hash if entries else GENESIS
        if doc.get("head_hash") != head:
            raise ConfigError(
                f"audit log head_hash {doc.get('head_hash')!r} does not match the last entry "
                f"({head!r}): entries were removed or added",
                source=source,
            )
        log = cls()
        object.__setattr__(log, "_entries", tuple(entries))
        return log


def _verify(entries: tuple[AuditEntry, ...], *, source: str | None) -> None:
    prev = GENESIS
    last: datetime | None = None
    for i, e in enumerate(entries):
        if e.seq != i:
            raise ConfigError(
                f"audit log entry {i} has seq {e.seq}: entries removed or reordered", source=source
            )
        if e.prev_hash != prev:
            raise ConfigError(
                f"audit log entry {i} (seq {e.seq}) does not follow entry {i - 1}: prev_hash mismatch",
                source=source,
            )
        if e.hash != e.expected_hash():
            raise ConfigError(
                f"audit log entry {i} (seq {e.seq}, subject {e.subject!r}) was modified: hash mismatch",
                source=source,
            )
        if last is not None and e.when < last:
            raise ConfigError(f"audit log entry {i} goes back in time", source=source)
        prev, last = e.hash, e.when
