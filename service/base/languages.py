"""The languages of the service's pages, forms, diagrams, problem details and returns.

English is the source language (the diagrams, forms and templates are written in it); Welsh is served
from gettext catalogues (``service/translations``) and from a ``.cy.json`` overlay beside each form and
each diagram.  Field names, enum values, element ids and the history never change with the language.
"""

from __future__ import annotations

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"
HTML_LANG = {"en": "en-GB", "cy": "cy"}  # the `<html lang>` of each language


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message
