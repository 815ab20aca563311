"""Tables of the audit feature: the chained retention log and the one-row lock that allows cleanup.

``retention_log`` is append-only (database triggers refuse UPDATE and DELETE),
chained like the history: ``hash`` is the SHA-256 of the canonical JSON of
``seq``, ``at``, ``data`` and ``prev_hash``.  ``retention_unlock`` holds a row
only inside a cleanup transaction: the history triggers allow DELETE while it
does (see migrations/versions/0002_retention.py).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.store.models import Base


class RetentionLog(Base):
    """One cleanup run: what was removed (count, ids, time range), stored as the exact text hashed."""

    __tablename__ = "retention_log"
    __table_args__ = (UniqueConstraint("seq", name="uq_retention_log_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RetentionUnlock(Base):
    """At most one row (id 1), present only while a cleanup deletes history in its transaction."""

    __tablename__ = "retention_unlock"
    __table_args__ = (CheckConstraint("id = 1", name="ck_retention_unlock_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
