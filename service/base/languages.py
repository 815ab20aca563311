"""The languages of the service's pages, forms, diagrams, problem details and returns.

English is the source language (the diagrams, forms and templates are written in it); Welsh is served
from gettext catalogues (``service/translations``) and from a ``.cy.json`` overlay beside each form and
each diagram.  Field names, enum values, element ids and the history never change with the language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"
HTML_LANG = {"en": "en-GB", "cy": "cy"}  # the `<html lang>` of each language
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


@cache
def _catalogue(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language])  # NullTranslations when not compiled


def gettext_in(language: str | None, message: str, **values: object) -> str:
    """One message in a given language, outside a request (an e-mail in its recipient's language).

    ``language`` None or unknown: English.  ``values`` fill the message's ``%(name)s`` fields.
    """
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = _catalogue(chosen).gettext(message)
    return text % values if values else text
