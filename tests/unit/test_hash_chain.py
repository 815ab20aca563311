"""The hash chain of API.md: built, verified, and broken in every way."""

from __future__ import annotations

import hashlib
import json

import pytest

from workflows.history import GENESIS, chain, verify


def _drafts(n: int) -> list[dict]:
    return [
        {
            "at": f"2026-01-05T09:00:0{i}+00:00",
            "type": "task_ready",
            "actor": None,
            "activity_id": f"a{i}",
            "task_id": None,
            "data": {"n": i, "text": "café"},
        }
        for i in range(n)
    ]


def _api_hash(event: dict) -> str:
    """The few lines API.md gives, written out independently of the module under test."""
    fields = {
        k: event[k] for k in ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash")
    }
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ).hexdigest()


def test_chain_numbers_from_one_and_links_hashes():
    events = chain(_drafts(3), last_seq=0, last_hash=None)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == GENESIS == "0" * 64
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert all(e["hash"] == _api_hash(e) for e in events)
    assert verify(events) is None


def test_chain_continues_an_existing_history():
    first = chain(_drafts(2), last_seq=0, last_hash=None)
    more = chain(_drafts(1), last_seq=2, last_hash=first[-1]["hash"])
    assert more[0]["seq"] == 3
    assert verify(first + more) is None


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        chain([{"at": "x", "type": "made_up", "data": {}}], last_seq=0, last_hash=None)


@pytest.mark.parametrize(
    ("tamper", "seq"),
    [
        (lambda ev: ev[1]["data"].update(n=99), 2),  # altered content
        (lambda ev: ev.pop(1), 2),  # removed row
        (lambda ev: ev.insert(0, ev.pop(1)), 1),  # reordered
        (lambda ev: ev[2].update(prev_hash=GENESIS), 3),  # relinked
        (lambda ev: ev[0].update(actor="someone"), 1),
    ],
)
def test_verify_names_the_first_broken_link(tamper, seq):
    events = chain(_drafts(4), last_seq=0, last_hash=None)
    tamper(events)
    broken = verify(events)
    assert broken is not None
    assert broken.seq == seq
