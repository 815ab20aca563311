"""Charts for the dashboard: inline SVG drawn on the server (no script, no library).

Each chart is a ``Chart``: the ``<svg>`` (``role="img"`` with an ``aria-label`` that says
what it shows), a one-sentence ``summary`` (the same words), and its legend.  The page
puts it in a ``<figure>`` with a caption and a table of the same figures, so nothing is
known only from a picture or only from a colour.

A figure may be suppressed: the reports show a count from 1 to 4 to a commissioner as
``"<5"``.  A chart never draws such a count to scale: it gets a fixed-width, hatched,
dashed-outline marker labelled ``<5`` (``suppressed`` below), placed after the bars
that are drawn to scale, and the known bars are scaled as if it were not there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext
from markupsafe import Markup, escape

SUPPRESSED = "<5"
MARKER = 30  # width of a suppressed count's marker: the same whatever the count (not to scale)
CHAR = 7.8  # rough width of a character of the 14px labels, to size the label column
ROW = 26  # height of one bar's band
BAR = 18  # height of one bar


@dataclass(frozen=True)
class Series:
    """One part of a stacked bar: ``css`` is its class (its colour, app.css) and ``pattern`` an overlay."""

    key: str
    label: str
    css: str
    pattern: str | None = None  # "dots": white dots over the colour, so colour is not the only cue


@dataclass
class Chart:
    svg: Markup
    summary: str
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)
    suppressed: bool = False  # some figure is drawn as a "<5" marker


def known(value: Any) -> bool:
    """A figure that may be drawn to scale (a number, not "<5", not missing)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: Any) -> str:
    """A figure as shown in labels and tables: 12, 3.5, "<5", "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def spoken(value: Any) -> str:
    """A figure as a screen reader should say it ("<5" is "fewer than 5")."""
    return gettext("fewer than 5") if value == SUPPRESSED else number(value)


def _attrs(**attrs: Any) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not None
    )


def _text(x: float, y: float, content: str, **attrs: Any) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}"{_attrs(**attrs)}>{escape(content)}</text>'


def _defs(chart_id: str) -> str:
    """The patterns a chart may use, named after the chart (ids are unique on the page)."""
    return (
        "<defs>"
        f'<pattern id="{chart_id}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.3" fill="#fff"/></pattern>'
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#6f777b" stroke-width="2"/>'
        "</pattern></defs>"
    )


def _marker(chart_id: str, x: float, y: float, series: str, title: str) -> str:
    """The unknown-size marker of a suppressed count: hatched, dashed outline, labelled "<5"."""
    return (
        f'<g class="suppressed" data-series="{escape(series)}" data-value="{escape(SUPPRESSED)}">'
        f"<title>{escape(title)}</title>"
        f'<rect class="marker" x="{x:.1f}" y="{y:.1f}" width="{MARKER}" height="{BAR}" '
        f'fill="url(#{chart_id}-hatch)"/>'
        f'<rect class="marker-outline outline-{escape(series)}" x="{x + 1:.1f}" y="{y + 1:.1f}" '
        f'width="{MARKER - 2}" height="{BAR - 2}" fill="none"/>'
        + _text(x + MARKER / 2, y + BAR / 2, SUPPRESSED, class_="marker-label", text_anchor="middle")
        + "</g>"
    )


def _svg(chart_id: str, width: float, height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg id="{escape(chart_id)}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">' + _defs(chart_id) + "".join(body) + "</svg>"
    )


def _label_width(labels: list[str], most: float) -> float:
    return min(max((len(s) for s in labels), default=4) * CHAR + 12, most)


def stacked_bars(
    chart_id: str,
    rows: list[tuple[str, dict[str, Any]]],
    series: list[Series],
    *,
    title: str,
    width: float = 560,
    skip_missing: bool = False,
) -> Chart:
    """One horizontal bar per row, stacked from ``series`` (e.g. met, missed, pending per milestone).

    Below each bar, its figures in words ("19 met · <5 missed · 0 pending"); with ``skip_missing``
    a part with no figure (a stage not reached yet) is left out of the words.  Parts that are
    counts drawn to scale share one scale over the whole chart; a suppressed part is a marker.
    """
    series = [replace(s, label=gettext(s.label)) for s in series]  # the legend in the reader's language
    label_w = _label_width([r[0] for r in rows], width * 0.32)
    most_markers = max((sum(v.get(s.key) == SUPPRESSED for s in series) for _, v in rows), default=0)
    area = width - label_w - 8 - most_markers * (MARKER + 2)
    largest = max((sum(v.get(s.key) for s in series if known(v.get(s.key))) for _, v in rows), default=0)
    scale = area / largest if largest else 0.0
    band = ROW + 18
    body: list[str] = []
    sentences, any_suppressed = [], False
    for i, (label, values) in enumerate(rows):
        y = 4 + i * band
        body.append(_text(0, y + BAR / 2, label, class_="row-label", dominant_baseline="central"))
        x = label_w
        words = []
        for s in series:
            value = values.get(s.key)
            if value is not None or not skip_missing:
                words.append(f"{number(value)} {s.label.lower()}")
            if known(value) and value > 0:
                w = value * scale
                body.append(
                    f'<g class="segment" data-series="{escape(s.key)}" data-value="{escape(number(value))}">'
                    f"<title>{escape(f'{label}, {s.label}: {number(value)}')}</title>"
                    f'<rect class="{escape(s.css)}" x="{x:.1f}" y="{y:.1f}" width="{w:.2f}" height="{BAR}"/>'
                )
                if s.pattern:
                    body.append(
                        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.2f}" height="{BAR}" '
                        f'fill="url(#{chart_id}-{s.pattern})"/>'
                    )
                text = number(value)
                if w >= len(text) * CHAR + 10:
                    body.append(
                        _text(
                            x + w / 2,
                            y + BAR / 2,
                            text,
                            class_="in-bar",
                            text_anchor="middle",
                            dominant_baseline="central",
                        )
                    )
                body.append("</g>")
                x += w
        for s in series:
            if values.get(s.key) == SUPPRESSED:
                any_suppressed = True
                body.append(_marker(chart_id, x + 1, y, s.key, f"{label}, {s.label}: {spoken(SUPPRESSED)}"))
                x += MARKER + 2
        body.append(_text(label_w, y + BAR + 14, " · ".join(words), class_="row-figures"))
        shown = [s for s in series if values.get(s.key) is not None or not skip_missing]
        sentences.append(
            f"{label}: " + ", ".join(f"{spoken(values.get(s.key))} {s.label.lower()}" for s in shown)
        )
    height = 4 + len(rows) * band
    summary = f"{title}. " + ("; ".join(sentences) if rows else gettext("No figures")) + "."
    legend = [(f"swatch {s.css}" + (f" {s.pattern}" if s.pattern else ""), s.label) for s in series]
    if any_suppressed:
        legend.append(("swatch suppressed", gettext("fewer than 5 (not to scale)")))
    return Chart(_svg(chart_id, width, height, summary, body), summary, legend, any_suppressed)


def bars(
    chart_id: str,
    sections: list[tuple[str, list[tuple[str, Any]]]],
    *,
    title: str,
    unit: str = "",
    css: str = "bar",
    width: float = 560,
) -> Chart:
    """Plain horizontal bars, one per row, in titled sections (a section title may be "")."""
    rows = [row for _, section in sections for row in section]
    label_w = _label_width([r[0] for r in rows], width * 0.4)
    values_w = max((len(number(v)) for _, v in rows), default=1) * CHAR + len(unit) * CHAR + 12
    area = width - label_w - values_w
    largest = max((v for _, v in rows if known(v)), default=0)
    scale = area / largest if largest else 0.0
    body: list[str] = []
    sentences, any_suppressed = [], False
    y = 4.0
    for heading, section in sections:
        if heading:
            body.append(_text(0, y + 12, heading, class_="section-label"))
            y += 22
        for label, value in section:
            body.append(_text(0, y + BAR / 2, label, class_="row-label", dominant_baseline="central"))
            end = label_w
            if value == SUPPRESSED:
                any_suppressed = True
                body.append(_marker(chart_id, label_w, y, css, f"{label}: {spoken(SUPPRESSED)}"))
                end = label_w + MARKER
            elif known(value) and value > 0:
                w = value * scale
                body.append(
                    f'<g class="segment" data-series="{escape(css)}" data-value="{escape(number(value))}">'
                    f"<title>{escape(f'{label}: {number(value)}{unit}')}</title>"
                    f'<rect class="{escape(css)}" x="{label_w:.1f}" y="{y:.1f}" width="{w:.2f}" height="{BAR}"/>'
                    "</g>"
                )
                end = label_w + w
            shown = SUPPRESSED if value == SUPPRESSED else f"{number(value)}{unit if known(value) else ''}"
            if value != SUPPRESSED:
                body.append(
                    _text(end + 6, y + BAR / 2, shown, class_="bar-value", dominant_baseline="central")
                )
            sentences.append(f"{label} {spoken(value)}{unit if known(value) else ''}")
            y += ROW
        y += 4
    summary = f"{title}. " + ("; ".join(sentences) if rows else gettext("No figures")) + "."
    legend = [("swatch suppressed", gettext("fewer than 5 (not to scale)"))] if any_suppressed else []
    return Chart(_svg(chart_id, width, y, summary, body), summary, legend, any_suppressed)
