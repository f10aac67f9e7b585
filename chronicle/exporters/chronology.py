"""The chronology as a document: Markdown, and one self-contained HTML page.

Both read the same ``EventView`` stream and group it by year as it goes, so a
document of a million events is written without ever being held. Every piece of
stored text passes through ``md`` or ``esc`` on its way out; only the structure
this module writes is markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import quote

from chronicle.exporters.rows import ClaimGroup, EventView, Scope
from chronicle.exporters.svgmap import map_svg
from chronicle.exporters.text import esc, md, safe_url
from chronicle.queries import LocatedPlace
from chronicle.sides import actor_label
from chronicle.wording import counted

OPEN_START = "Open start"
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def year_of(view: EventView) -> str:
    """The heading an event is filed under; events with no known start come first."""
    earliest = view.row["earliest"]
    return earliest[:4] if earliest else OPEN_START


def by_year(views: Iterable[EventView]) -> Iterator[tuple[str | None, EventView]]:
    """Each event, with the year heading to write before it when the year changes."""
    current = None
    for view in views:
        year = year_of(view)
        yield (year if year != current else None), view
        current = year


def _exported_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status_note(view: EventView) -> str | None:
    row = view.row
    if row["status"] == "merged":
        return f"merged into {row['merged_into']}"
    return row["status"] if row["status"] != "active" else None


def _citation_parts(c: dict) -> tuple[str, list[str]]:
    """A citation as its title and the plain-text details that follow it."""
    details = [c[k] for k in ("publisher", "published") if c.get(k)]
    if c.get("locator"):
        details.append(f"at {c['locator']}")
    if c.get("quote"):
        details.append(f"“{c['quote']}”")
    if c.get("named_as"):
        details.append(f"names it “{c['named_as']}”")
    return c["title"] or c["source_id"], details


# --- Markdown -------------------------------------------------------------------------


def write_markdown(out: TextIO, views: Iterable[EventView], scope: Scope, title: str) -> int:
    out.write(f"# {md(title)}\n\n")
    out.write(f"*{md(scope.describe())}; exported {md(_exported_at())}*\n")
    count = 0
    for year, view in by_year(views):
        if year:
            out.write(f"\n## {md(year)}\n")
        out.write(_markdown_event(view))
        count += 1
    out.write(f"\n---\n\n*{counted(count, 'event')}*\n")
    return count


def _markdown_event(view: EventView) -> str:
    row = view.row
    lines = [f"\n### {md(row['display'])} · {md(row['title'])}\n\n"]
    facts = [f"*{md(row['place'])}*"] if row["place"] else []
    if view.actors:
        facts.append(", ".join(md(actor_label(a)) for a in view.actors))
    if view.tags:
        facts.append("tags: " + ", ".join(md(t) for t in view.tags))
    note = _status_note(view)
    if note:
        facts.append(f"**{md(note)}**")
    facts.append(f"`{row['event_id']}`")  # ids are [A-Za-z0-9._:-]: nothing to escape
    lines.append(" · ".join(facts) + "\n")
    if row["summary"]:
        lines.append(f"\n{md(row['summary'])}\n")
    if view.groups:
        lines.append("\n" + "".join(_markdown_group(g) for g in view.groups))
    if view.citations:
        lines.append("\nSources:\n\n")
        lines.extend(_markdown_citation(i, c) for i, c in enumerate(view.citations, 1))
    return "".join(lines)


def _markdown_group(group: ClaimGroup) -> str:
    return f"- **{md(group.heading)}:** {md(group.prose())}\n"


def _markdown_citation(n: int, c: dict) -> str:
    name, details = _citation_parts(c)
    text = md(name) + "".join(f", {md(d)}" for d in details)
    url = safe_url(c.get("url"))
    if url:
        text += f" [link](<{quote(url, safe=_URL_SAFE)}>)"
    return f"{n}. {text}\n"


# --- HTML ------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de;
        --accent: #8a3b12; --bar: #4f6d7a; --flag: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 50rem; padding: 2rem 1.25rem 4rem; color: var(--ink);
       font: 16px/1.55 Georgia, "Times New Roman", serif; background: #fff; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 .5rem; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.1rem; margin: 0 0 .2rem; }
.meta, .facts, .when { color: var(--muted); font-size: .9rem; }
.when { font-weight: bold; color: var(--accent); margin: 0; }
article { margin: 1.5rem 0; padding-left: .9rem; border-left: 3px solid var(--rule); }
article.inactive { opacity: .7; }
.summary { white-space: pre-line; }
.status { color: var(--flag); font-weight: bold; }
ul.claims { padding-left: 1.2rem; }
ul.claims li.disputed::marker { color: var(--flag); }
.flag { color: var(--flag); font-weight: bold; }
ol.sources { font-size: .9rem; padding-left: 1.6rem; }
figure.density { margin: 1.5rem 0; }
figure.density svg { max-width: 100%; height: auto; }
figure.density rect { fill: var(--bar); }
figure.density text { font: 11px sans-serif; fill: var(--muted); }
figure.map { margin: 1.5rem 0; }
figure.map svg { max-width: 100%; height: auto; background: #f4f6f8; }
figure.map .borders { fill: none; stroke: #9aa3ab; stroke-width: .7; }
figure.map circle { fill: var(--accent); fill-opacity: .55; stroke: #fff; stroke-width: .8; }
figcaption { color: var(--muted); font-size: .85rem; }
code { font-size: .8rem; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  article { break-inside: avoid; }
  h2 { break-after: avoid; }
  a { color: inherit; }
}
"""

# No script may run and nothing may load: the page is data, readable offline.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def write_html(
    out: TextIO,
    views: Iterable[EventView],
    scope: Scope,
    title: str,
    density: list[tuple[str, int]],
    where: Where | None = None,
) -> int:
    out.write(_html_head(title, scope, density, where))
    count = 0
    open_section = False
    for year, view in by_year(views):
        if year:
            if open_section:
                out.write("</section>\n")
            out.write(f'<section>\n<h2 id="y-{esc(year)}">{esc(year)}</h2>\n')
            open_section = True
        out.write(html_event(view, heading=True))
        count += 1
    if open_section:
        out.write("</section>\n")
    out.write(f"</main>\n<footer>{counted(count, 'event')} · {esc(scope.describe())}</footer>\n")
    out.write("</body>\n</html>\n")
    return count


@dataclass(frozen=True)
class Where:
    """The view's located places, and how many of its events have no coordinates."""

    places: list[LocatedPlace]
    unlocated: int


def _html_head(
    title: str, scope: Scope, density: list[tuple[str, int]], where: Where | None
) -> str:
    chart = density_svg(density)
    figure = (
        f'<figure class="density">{chart}<figcaption>Events per year</figcaption></figure>\n'
        if chart
        else ""
    )
    figure += _map_figure(where)

    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{esc(title)}</h1>\n"
        f'<p class="meta">{esc(scope.describe())}; exported {esc(_exported_at())}</p>\n'
        f"{figure}</header>\n<main>\n"
    )


def _map_figure(where: Where | None) -> str:
    drawn = map_svg(where.places) if where else ""
    if not where or not drawn:
        return ""
    caption = (
        f"Events per place ({counted(len(where.places), 'place')}; "
        f"{counted(where.unlocated, 'event')} without coordinates)"
    )
    return f'<figure class="map">{drawn}<figcaption>{caption}</figcaption></figure>\n'


def html_event(view: EventView, heading: bool = False) -> str:
    """One event as HTML: an ``<article>`` for the page, or the body alone for a slide."""
    row = view.row
    parts = []
    if heading:
        parts.append(f"<h3>{esc(row['title'])}</h3>\n")
    when = esc(row["display"]) + (f" · {esc(row['place'])}" if row["place"] else "")
    parts.append(f'<p class="when">{when}</p>\n')
    note = _status_note(view)
    if note:
        parts.append(f'<p class="status">{esc(note)}</p>\n')
    facts = [", ".join(esc(actor_label(a)) for a in view.actors)] if view.actors else []
    if view.tags:
        facts.append("tags: " + ", ".join(esc(t) for t in view.tags))
    if facts:
        parts.append(f'<p class="facts">{" · ".join(facts)}</p>\n')
    if row["summary"]:
        parts.append(f'<p class="summary">{esc(row["summary"])}</p>\n')
    if view.groups:
        items = "".join(_html_group(g) for g in view.groups)
        parts.append(f'<ul class="claims">\n{items}</ul>\n')
    if view.citations:
        items = "".join(_html_citation(c) for c in view.citations)
        parts.append(f'<ol class="sources">\n{items}</ol>\n')
    body = "".join(parts)
    if not heading:
        return body
    css = "" if row["status"] == "active" else ' class="inactive"'
    return f'<article id="{esc(row["event_id"])}"{css}>\n{body}</article>\n'


def _html_group(group: ClaimGroup) -> str:
    if group.disputed:
        head = f'<span class="flag">Disputed</span>, {esc(group.label)}'
        return f'<li class="disputed">{head}: {esc(group.prose())}</li>\n'
    return f"<li>{esc(group.heading)}: {esc(group.prose())}</li>\n"


def _html_citation(c: dict) -> str:
    name, details = _citation_parts(c)
    url = safe_url(c.get("url"))
    title = f'<a href="{esc(url)}" rel="noreferrer">{esc(name)}</a>' if url else esc(name)
    return f"<li>{title}{''.join(', ' + esc(d) for d in details)}</li>\n"


def density_svg(counts: list[tuple[str, int]], width: int = 720, height: int = 120) -> str:
    """Events per year as bars, every year between the first and last drawn (zeros too).

    A short span gets a narrower chart rather than bars as wide as the page.
    """
    known = {int(year): n for year, n in counts if year.isdigit()}
    if not known:
        return ""
    first, last = min(known), max(known)
    years = range(first, last + 1)
    width = min(width, 48 * len(years))
    top = max(known.values())
    plot = height - 18
    step = width / len(years)
    label_every = max(1, round(len(years) / 8))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Events per year, {first} to {last}">'
    ]
    for i, year in enumerate(years):
        n = known.get(year, 0)
        bar = plot * n / top
        x = i * step
        parts.append(
            f'<rect x="{x:.1f}" y="{plot - bar:.1f}" width="{max(step - 1, 0.5):.1f}" '
            f'height="{bar:.1f}"><title>{year}: {counted(n, "event")}</title></rect>'
        )
        if (year - first) % label_every == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 4}">{year}</text>')
    parts.append("</svg>")
    return "".join(parts)
