"""The detail pane: everything the store knows about the selected event, as of the view.

The renderables are built from ``chronicle.render.literal`` texts and Rich tables
of them, never from markup strings, so a title like ``[bold]`` or a quote holding
an escape sequence is shown as written. Colours come from the pane's component
classes, so the pane follows the app's theme.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any, ClassVar

from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from chronicle.queries import EventDetail
from chronicle.render import literal, printable
from chronicle.sides import SIDE_NAMES
from chronicle.tui import keys
from chronicle.wording import figure

Styler = Callable[[str], Style]
NO_EVENT = "No event selected."


def when_lines(event: dict[str, Any], st: Styler) -> Text:
    """The date as shown, then what it was understood to mean."""
    bounds = f"{event['earliest'] or '…'} → {event['latest'] or '…'}"
    flags = [f for f in ("approximate", "uncertain") if event[f]]
    facts = [f"EDTF {event['when_edtf']}", bounds, event["precision"], *flags]
    return Text.assemble(
        literal(event["display"], st("detail--date")),
        "\n",
        literal(" · ".join(facts), st("detail--muted")),
    )


def status_line(event: dict[str, Any], st: Styler) -> Text:
    parts = [event["event_id"], f"version {event['version']}", event["status"]]
    if event.get("merged_into"):
        parts.append(f"into {event['merged_into']}")
    style = st("detail--disputed") if event["status"] != "active" else st("detail--muted")
    return literal(" · ".join(parts), style)


def facts_grid(rows: list[tuple[str, Text]], st: Styler) -> Table:
    """Label and value side by side; a long value wraps under itself, not the label."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style=st("detail--label"))
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def actors_text(actors: Iterable[dict[str, Any]], st: Styler) -> Text:
    out = Text()
    for i, actor in enumerate(actors):
        if i:
            out.append("\n")
        out.append_text(literal(actor["name"], keep_newlines=False))
        part = [p for p in (actor.get("role"), SIDE_NAMES.get(actor.get("side") or "")) if p]
        if part:
            out.append_text(literal(f" ({', '.join(part)})", st("detail--muted")))
        if actor.get("aliases"):
            also = "also " + ", ".join(actor["aliases"])
            out.append_text(literal(f" — {also}", st("detail--muted"), keep_newlines=False))
    return out


def heading(title: str, st: Styler) -> Text:
    return Text(f"\n{title}", st("detail--heading"))


def citations_text(citations: list[dict[str, Any]], st: Styler) -> Text:
    out = Text()
    for i, cite in enumerate(citations, start=1):
        said = [cite["title"] or cite["source_id"], cite.get("publisher"), cite.get("published")]
        out.append(f"{i:>2}. ", st("detail--muted"))
        out.append_text(literal(", ".join(str(p) for p in said if p), keep_newlines=False))
        out.append_text(literal(f"  {cite['source_id']}", st("detail--muted")))
        if cite.get("quote"):
            out.append("\n    ")
            out.append_text(literal(f"“{cite['quote']}”", st("detail--quote")))
        if cite.get("named_as"):
            out.append("\n    ")
            out.append_text(literal(f"names it “{cite['named_as']}”", st("detail--muted")))
        if cite.get("locator"):
            out.append_text(literal(f"  ({cite['locator']})", st("detail--muted")))
        out.append("\n")
    out.rstrip()
    return out


def _group_title(group: tuple[str, str | None], dispute: dict | None, st: Styler) -> Text:
    prop, about = group
    title = Text.assemble(literal(prop, st("detail--label")))
    if about:
        title.append_text(literal(f" · {about}", st("detail--label")))
    if dispute and dispute["disputed"]:
        spread = f"{printable(dispute['low'])}–{printable(dispute['high'])}"
        title.append_text(
            literal(
                f"  ⚠ disputed: {spread} from {dispute['n_claimants']} claimants",
                st("detail--disputed"),
            )
        )
    return title


def claim_line(claim: dict[str, Any], disputed: bool, st: Styler) -> Text:
    """Who says what, reported by whom: "JNIM: 10 — JNIM statement", the quote below."""
    out_of_play = claim["status"] != "active" or claim["rank"] == "deprecated"
    base = st("detail--muted") if out_of_play else Style()
    line = Text("  ")
    line.append_text(
        literal(claim["claimant_name"] or claim["claimant"], base, keep_newlines=False)
    )
    line.append(": ")
    line.append_text(
        literal(figure(claim), base + (st("detail--disputed") if disputed else Style()))
    )
    line.append_text(
        literal(f" — {claim['source_title'] or claim['source_id']}", st("detail--muted"),
                keep_newlines=False)
    )  # fmt: skip
    state = claim["rank"] if claim["status"] == "active" else claim["status"]
    if state != "normal":
        line.append_text(literal(f"  [{state}]", st("detail--label")))
    if claim.get("quote"):
        line.append("\n    ")
        line.append_text(literal(f"“{claim['quote']}”", st("detail--quote")))
    return line


def claims_text(detail: EventDetail, st: Styler) -> Text:
    """Claims grouped by property and whose figure, disagreements marked."""
    disputes = {(d["property"], d["about"]): d for d in detail.disputes}
    out = Text()
    for (prop, about), claims in groupby(detail.claims, key=lambda c: (c["property"], c["about"])):
        rows = list(claims)
        dispute = disputes.get((prop, about))
        disputed = bool(dispute and dispute["disputed"])
        if out:
            out.append("\n")
        out.append_text(_group_title((prop, rows[0]["about_name"] or about), dispute, st))
        for claim in rows:
            out.append("\n")
            out.append_text(claim_line(claim, disputed, st))
    return out


def history_text(history: list[dict[str, Any]], st: Styler) -> Text:
    """One entry a line (seq, time, author, type), its reason below it."""
    out = Text()
    for entry in history:
        when = entry["recorded_at"][:19].replace("T", " ")
        out.append(f"{entry['seq']:>6} ", st("detail--label"))
        out.append_text(
            literal(f"{when}  {entry['author']}  ", st("detail--muted"), keep_newlines=False)
        )
        out.append_text(literal(entry["type"], keep_newlines=False))
        if entry["reason"]:
            out.append("\n       ")
            out.append_text(literal(entry["reason"], st("detail--quote"), keep_newlines=False))
        out.append("\n")
    out.rstrip()
    return out


def body(detail: EventDetail, st: Styler) -> Group:
    """Title, date, status, place, actors, tags, summary, citations and claims."""
    e = detail.event
    parts: list[RenderableType] = []
    if detail.as_of is not None:
        parts.append(Text(f"as of seq {detail.as_of}", st("detail--asof")))
    parts += [literal(e["title"], st("detail--title")), when_lines(e, st), status_line(e, st)]
    facts: list[tuple[str, Text]] = []
    if e["place"]:
        place = literal(f"{e['place']} ", keep_newlines=False)
        place.append_text(literal(e["place_id"], st("detail--muted")))
        facts.append(("Place", place))
    if detail.actors:
        facts.append(("Actors", actors_text(detail.actors, st)))
    if e["tags"]:
        facts.append(("Tags", literal(", ".join(e["tags"]))))
    if facts:
        parts.append(facts_grid(facts, st))
    if e["summary"]:
        parts += [Text(""), literal(e["summary"])]
    if detail.citations:
        parts += [heading("Citations", st), citations_text(detail.citations, st)]
    if detail.claims:
        parts += [heading("Claims", st), claims_text(detail, st)]
    return Group(*parts)


def content(detail: EventDetail, st: Styler) -> Group:
    """The whole detail but the links, which are a list of their own to choose from."""
    history = [heading("History", st), history_text(detail.history, st)]
    return Group(body(detail, st), *history)


def link_option(link: dict[str, Any]) -> Option:
    arrow = "→" if link["direction"] == "out" else "←"
    words = f"{arrow} {link['relation']}  {link['title'] or link['event_id']}"
    return Option(literal(words, keep_newlines=False))


class LinkList(OptionList):
    """Related events; Enter follows one."""

    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back to the timeline", id="links.back", key_display="Esc")
    ]

    def action_back(self) -> None:
        self.post_message(DetailPane.Back())


Lines = list[list[Segment]]


@dataclass(frozen=True)
class Palette:
    """The pane's theme styles, taken in the main thread so a worker can draw with them."""

    styles: dict[str, Style]
    base: Style

    def __call__(self, name: str) -> Style:
        return self.styles[name]


def draw(renderable: RenderableType, width: int, base: Style) -> Lines:
    """Render to lines at a width, on a console of its own: safe in a worker thread."""
    console = Console(
        file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor",
        markup=False, highlight=False, emoji=False, legacy_windows=False, safe_box=False,
    )  # fmt: skip
    return console.render_lines(renderable, console.options.update(width=width), style=base)


def draw_detail(detail: EventDetail, palette: Palette, width: int) -> Lines:
    return draw(content(detail, palette), width, palette.base)


class DetailBody(ScrollView, can_focus=True):
    """The detail's text as lines, scrolled by the Line API.

    The lines are usually drawn in the worker that loaded the event, so showing
    the next event costs the main thread neither a Rich render nor a layout pass
    (which a tree of auto-height widgets would cost on every step).
    """

    BINDINGS: ClassVar = [k.binding() for k in keys.DETAIL]
    DEFAULT_CSS = """
    DetailBody { scrollbar-gutter: stable; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Strip] = []

    @property
    def width(self) -> int:
        return self.scrollable_content_region.width

    def show(self, lines: Lines, *, keep_scroll: bool = False) -> None:
        width, style = self.width, self.rich_style
        self.lines = [Strip(line).adjust_cell_length(width, style) for line in lines]
        self.virtual_size = Size(width, len(self.lines))
        if not keep_scroll:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        self.post_message(DetailPane.Resized())

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        if 0 <= index < len(self.lines):
            return self.lines[index]
        return Strip.blank(self.width, self.rich_style)

    def action_back(self) -> None:
        self.post_message(DetailPane.Back())


class DetailPane(Vertical):
    """The selected event: its state, sources, claims and history; related events below."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail--title",
        "detail--date",
        "detail--label",
        "detail--muted",
        "detail--heading",
        "detail--disputed",
        "detail--quote",
        "detail--asof",
    }
    DEFAULT_CSS = """
    DetailPane {
        & > .detail--title { text-style: bold; color: $text-primary; }
        & > .detail--date { text-style: bold; color: $text-accent; }
        & > .detail--label { color: $text-secondary; text-style: bold; }
        & > .detail--muted { color: $text-muted; }
        & > .detail--heading { color: $text-primary; text-style: bold underline; }
        & > .detail--disputed { color: $text-error; text-style: bold; }
        & > .detail--quote { color: $text; text-style: italic; }
        & > .detail--asof { color: $text-warning; text-style: bold reverse; }
        #detail-body { height: 1fr; }
        #detail-links {
            height: auto; max-height: 40%; padding: 0; background: $surface;
            border: none; border-top: solid $border-blurred;
        }
        #detail-links:focus { border: none; border-top: solid $border; }
    }
    """

    class Follow(Message):
        """The user chose a related event."""

        def __init__(self, event_id: str) -> None:
            super().__init__()
            self.event_id = event_id

    class Back(Message):
        """The user wants the timeline again."""

    class Resized(Message):
        """The body changed size: its lines must be drawn again at the new width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: EventDetail | None = None
        self.note = NO_EVENT
        self._drawn_width = 0

    def compose(self) -> ComposeResult:
        yield DetailBody(id="detail-body")
        links = LinkList(id="detail-links")
        links.border_title = "Related"
        yield links

    def palette(self) -> Palette:
        names = self.COMPONENT_CLASSES
        styles = {n: self.get_component_rich_style(n, partial=True) for n in names}
        return Palette(styles, self.query_one(DetailBody).rich_style)

    def body_width(self) -> int:
        return self.query_one(DetailBody).width

    def show(
        self, detail: EventDetail | None, note: str = NO_EVENT, drawn: Lines | None = None
    ) -> None:
        """Show an event (with its lines if a worker drew them), or a note when there is none."""
        shown = self.detail
        same = (
            detail is not None
            and shown is not None
            and detail.event["event_id"] == shown.event["event_id"]
        )
        self.detail, self.note = detail, note
        self._draw(drawn, keep_scroll=same)

    def _draw(self, drawn: Lines | None = None, *, keep_scroll: bool = False) -> None:
        detail, palette, width = self.detail, self.palette(), self.body_width()
        body = self.query_one(DetailBody)
        links = self.query_one(LinkList)
        highlighted = links.highlighted
        links.clear_options()
        links.display = bool(detail and detail.links)
        self._drawn_width = width
        if detail is None:
            body.show(draw(Text(self.note, palette("detail--muted")), width, palette.base))
            return
        body.show(drawn or draw_detail(detail, palette, width), keep_scroll=keep_scroll)
        links.add_options(link_option(link) for link in detail.links)
        if detail.links and highlighted is not None and keep_scroll:
            links.highlighted = min(highlighted, len(detail.links) - 1)

    def on_detail_pane_resized(self, event: Resized) -> None:
        event.stop()
        if self.body_width() != self._drawn_width:
            self._draw(keep_scroll=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self._draw(keep_scroll=True)

    def focus_first(self) -> None:
        """Enter from the timeline lands on the links when there are any."""
        links = self.query_one(LinkList)
        if links.display and links.option_count:
            if links.highlighted is None:
                links.highlighted = 0
            links.focus()
        else:
            self.query_one(DetailBody).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.detail is not None:
            self.post_message(self.Follow(self.detail.links[event.option_index]["event_id"]))
