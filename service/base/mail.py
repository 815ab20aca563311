"""E-mail by SMTP (the standard library's ``smtplib``), for reminders and send tasks.

A message carries only what may go to anyone's inbox: the task's name and a link to it.  A failure
to send is logged without the address or the message, and raised to nobody: the notification in the
service stands.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
SENDER = "advocacy-flow@localhost"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def parse_smtp_url(url: str) -> tuple[str, int]:
    """``smtp://host:port`` as (host, port); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError("ADVOCACY_FLOW_SMTP_URL must be smtp://host:port")
    return parts.hostname, parts.port or 25


def send(url: str, mails: list[Mail], sender: str = SENDER) -> int:
    """Send ``mails`` over one connection to ``url``; returns how many were accepted."""
    if not mails:
        return 0
    try:
        host, port = parse_smtp_url(url)
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as smtp:
            sent = 0
            for mail in mails:
                message = EmailMessage()
                message["From"] = sender
                message["To"] = mail.to
                message["Subject"] = mail.subject
                message.set_content(mail.body)
                try:
                    smtp.send_message(message)
                    sent += 1
                except smtplib.SMTPException as err:
                    log.warning("a reminder e-mail was refused by the mail server (%s)", type(err).__name__)
            return sent
    except (OSError, smtplib.SMTPException, ValueError) as err:
        log.warning("reminder e-mails could not be sent (%s)", type(err).__name__)
        return 0
