"""The quarter's referrals read once into a cohort table, and the SQL helpers the figures share."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    String,
    Table,
    Text,
    case,
    column,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from service.cases.reports.vocabulary import EQUALITY, MEASURES
from service.store.models import ProcessInstance, Sla


def _var(name: str):
    return ProcessInstance.variables[name]


def _text(session: Session, expr):
    """Byte order for ISO text on PostgreSQL whatever the database's collation."""
    return expr.collate("C") if session.bind.dialect.name == "postgresql" else expr


def _count(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The variables a return reads, each read once per referral into the cohort table.
FIELDS = {
    **dict.fromkeys(("received_at", "sla_key", "referral_source", "advocacy_type", "urgency"), Text),
    **{f"outcome_{m}": Text for m in MEASURES},
    **dict.fromkeys(("first_contact_at", "outcome_story"), Text),
    **dict.fromkeys(("eligible", "voice_heard", "story_shareable"), Boolean),
    # second edition: instruction and rights upheld, the end reason, equality monitoring, Welsh-medium
    **dict.fromkeys(("instruction", "rights_upheld", "end_reason"), Text),
    **dict.fromkeys(EQUALITY, Text),  # communication_needs: the array's JSON text, e.g. '["bsl", "none"]'
    **dict.fromkeys(("welsh_medium_requested", "welsh_medium_provided"), Boolean),
}


def cohort(session: Session, sla: Sla, lo: str, hi: str) -> Table:
    """A temporary table of the referrals of ``sla`` received in [lo, hi): id, status, end_state, FIELDS.

    The JSON is parsed once per referral (``json_to_record`` on PostgreSQL, whose ``->>`` on
    ``json`` would parse the whole document again for every field); every figure is then an
    aggregate over plain columns.  Dropped by ``quarterly`` (and at commit on PostgreSQL).
    """
    postgres = session.bind.dialect.name == "postgresql"
    if postgres:
        record = (
            func.json_to_record(ProcessInstance.variables)
            .table_valued(*(column(name, kind) for name, kind in FIELDS.items()))
            .render_derived(name="v", with_types=True)
        )
        values = [record.c[name] for name in FIELDS]
        source = select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.end_state, *values)
        source = source.select_from(ProcessInstance).join(record, true())
    else:
        values = [
            _var(name).as_boolean() if kind is Boolean else _var(name).as_string()
            for name, kind in FIELDS.items()
        ]
        source = select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.end_state, *values)
    received, sla_key = _text(session, values[0]), values[1]
    of_sla = or_(sla_key == sla.key, sla_key.is_(None)) if sla.is_default else sla_key == sla.key
    source = source.where(
        ProcessInstance.process_key == "referral_casework", received >= lo, received < hi, of_sla
    )
    columns = [Column("id", String(36)), Column("status", String(16)), Column("end_state", String(128))]
    return _temporary(session, source, *columns, *(Column(name, kind) for name, kind in FIELDS.items()))


def _temporary(session: Session, query, *columns: Column) -> Table:
    """``query`` stored once in a temporary table (dropped by ``quarterly``; at commit on PostgreSQL)."""
    table = Table(
        f"report_{uuid.uuid4().hex[:12]}",
        MetaData(),
        *columns,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    table.create(session.connection())
    session.execute(insert(table).from_select([c.name for c in columns], query))
    return table
