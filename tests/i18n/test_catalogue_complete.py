"""Every string shown to a person has Welsh: the catalogue is complete and extraction is up to date."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "service" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None}


def _catalogue():
    with PO.open("rb") as source:
        return read_po(source, locale="cy")


def _extracted() -> set[str]:
    method_map = [("service/**.py", "python"), ("service/web/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def test_every_msgid_has_a_welsh_msgstr() -> None:
    catalogue = _catalogue()
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings) or message.fuzzy:
            missing.append(message.id)
    assert not missing, f"{len(missing)} msgids without Welsh in {PO.name}: {missing[:20]}"


def test_extraction_is_up_to_date() -> None:
    """A string marked in a template or module but not in the catalogue fails here (run `make translations`)."""
    catalogue = _catalogue()
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    missing = sorted(_extracted() - known)
    assert not missing, f"not in the catalogue (run `make translations`, then translate): {missing[:20]}"


def test_placeholders_survive_translation() -> None:
    import re

    for message in _catalogue():
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in strings:
            for pattern in (r"%\(\w+\)[sd]", r"\{\w+\}", r"</?strong>"):
                assert sorted(re.findall(pattern, source)) == sorted(re.findall(pattern, target)), (
                    source,
                    target,
                )
