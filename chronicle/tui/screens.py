"""The app's other screens: a one-line prompt, the filter and export forms, and help."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from chronicle.errors import ChronicleError
from chronicle.queries import TimelineFilter, resolve_entities
from chronicle.render import printable
from chronicle.tui import keys
from chronicle.tui.forms import Field, FieldError, FormScreen
from chronicle.tui.timeline import MARKS, STATUS_MARKS

Check = Callable[[str], str]  # the preview of a value, or a ChronicleError saying why not


class PromptScreen(ModalScreen[str | None]):
    """One line of input at the foot of the screen, checked as it is typed."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", key_display="Esc")
    ]
    DEFAULT_CSS = """
    PromptScreen { align: left bottom; background: $background 40%; }
    PromptScreen #prompt {
        height: auto; width: 100%; background: $panel; border-top: solid $primary;
        padding: 0 1; margin-bottom: 1;
    }
    PromptScreen #prompt-label { color: $text-primary; text-style: bold; }
    PromptScreen #prompt-hint { color: $text-muted; }
    PromptScreen #prompt-hint.-invalid { color: $text-error; }
    """

    def __init__(
        self, label: str, value: str = "", placeholder: str = "", check: Check | None = None
    ) -> None:
        super().__init__()
        self.label, self.value, self.placeholder, self.check = label, value, placeholder, check

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(Text(self.label), id="prompt-label")
            yield Input(self.value, placeholder=self.placeholder, compact=True, id="prompt-input")
            yield Static(id="prompt-hint")

    def on_mount(self) -> None:
        self._hint(self.value)

    def _hint(self, value: str) -> bool:
        """Show what the value means (or why it is refused); True when it can be used."""
        hint = self.query_one("#prompt-hint", Static)
        if self.check is None or not value.strip():
            hint.update("")
            return True
        try:
            preview, ok = self.check(value), True
        except ChronicleError as err:
            preview, ok = str(err), False
        hint.set_class(not ok, "-invalid")
        hint.update(Text(printable(preview, keep_newlines=False)))
        return ok

    def on_input_changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._hint(event.value):
            self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes-or-no question at the foot of the screen: y or Enter, n or Esc."""

    BINDINGS: ClassVar = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes", key_display="y"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", key_display="n"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: left bottom; background: $background 40%; }
    ConfirmScreen #confirm {
        height: auto; width: 100%; background: $panel; border-top: solid $warning;
        padding: 0 1; margin-bottom: 1;
    }
    ConfirmScreen #confirm-question { color: $text-warning; text-style: bold; }
    ConfirmScreen #confirm-keys { color: $text-muted; }
    """

    def __init__(self, statement: str, question: str) -> None:
        super().__init__()
        self.statement, self.question = statement, question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(Text(printable(self.statement, keep_newlines=False)), id="confirm-text")
            yield Static(Text(self.question), id="confirm-question")
            yield Static(Text("y or Enter: yes · n or Esc: not now"), id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# --- filter --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterWords:
    """The filter as the user typed it, so the form reopens with the same words."""

    start: str = ""
    end: str = ""
    actors: str = ""
    places: str = ""
    tags: str = ""
    text: str = ""
    retracted: bool = False

    def to_filter(self) -> TimelineFilter:
        return TimelineFilter.from_words(
            self.start or None,
            self.end or None,
            actors=_items(self.actors),
            places=_items(self.places),
            tags=_items(self.tags),
            search=self.text or None,
            include_retracted=self.retracted,
        )


WORD_FIELDS = ("start", "end", "actors", "places", "tags", "text")


def _items(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def filter_form(conn: sqlite3.Connection, words: FilterWords) -> FormScreen:
    """Narrow the timeline; every field is optional and an empty form clears the filter."""
    fields = (
        Field("start", "From", "date", value=words.start, placeholder="EDTF or words: 2023"),
        Field("end", "To", "date", value=words.end, placeholder="Nov 2023"),
        Field("actors", "Actors", value=words.actors, placeholder="names or aliases, commas"),
        Field("places", "Places", value=words.places, placeholder="Tin Zaouatine"),
        Field("tags", "Tags", value=words.tags, placeholder="battle, coup"),
        Field("text", "Text", value=words.text, placeholder="words anywhere, aliases too"),
        Field(
            "retracted",
            "Retracted",
            "flag",
            value="1" if words.retracted else "",
            placeholder="show retracted and merged events",
        ),
    )

    def save(values: dict[str, Any], _changed: set[str]) -> FilterWords:
        typed = {name: values[name] or "" for name in WORD_FIELDS}
        chosen = FilterWords(**typed, retracted=values["retracted"])
        _check_names(conn, chosen)
        return chosen

    return FormScreen("Filter the timeline", fields, conn, save, "Empty fields do not filter.")


def _check_names(conn: sqlite3.Connection, words: FilterWords) -> None:
    """Refuse names that match nothing now, rather than showing an empty timeline."""
    for field, kind in (("actors", None), ("places", "place")):
        for name in _items(getattr(words, field)):
            try:
                resolve_entities(conn, name, kind)
            except ChronicleError as err:
                raise FieldError(field, str(err)) from None


# --- export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    what: str
    fmt: str
    path: str


def export_form(conn: sqlite3.Connection, flt: TimelineFilter, view: str) -> FormScreen:
    """What to export, how and where; the view's filter and as-of apply."""
    from chronicle import exports  # only when asked: the exporters cost first paint 0.2 s

    fields = (
        Field("what", "What", "select", True, "timeline", options=exports.WHATS),
        Field("fmt", "Format", "select", True, "csv", options=exports.FORMATS),
        Field("path", "File", placeholder="default: chronicle-WHAT.EXT here"),
    )

    confirmed: set[Path] = set()

    def save(values: dict[str, Any], _changed: set[str]) -> ExportRequest:
        what, fmt = values["what"], values["fmt"]
        narrowing = flt if flt.active else None
        try:
            exports.check(what, fmt, narrowing)
        except ChronicleError as err:
            raise FieldError("what", str(err)) from None
        path = values["path"] or f"chronicle-{what}{exports.SUFFIXES[fmt]}"
        try:
            exports.check_output(conn, path, fmt, asked_by="app")
        except ChronicleError as err:
            raise FieldError("path", str(err)) from None
        _confirm_overwrite(Path(path), confirmed)
        return ExportRequest(what, fmt, path)

    return FormScreen("Export the view", fields, conn, save, view)


def _confirm_overwrite(path: Path, confirmed: set[Path]) -> None:
    """Ask before replacing a file: the first save names it, a second save replaces it."""
    if path.exists() and path.resolve() not in confirmed:
        confirmed.add(path.resolve())
        raise FieldError("path", f"{path} exists: save again (Ctrl+S) to replace it")


# --- help ----------------------------------------------------------------------------------

OTHER_KEYS = (
    ("Tab  Shift+Tab", "Move between the timeline, the related events and the detail"),
    ("Enter (related)", "Follow a related event"),
    ("Ctrl+P", "Command palette: every action, by name"),
    ("Ctrl+S  Esc", "In a form: save, cancel"),
)


def help_table() -> Table:
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("keys", no_wrap=True)
    table.add_column("what they do")
    for scope, bound in keys.SCOPES:
        table.add_section()
        table.add_row(Text(scope, "bold"), "")
        for key in bound:
            table.add_row(Text(key.shown_keys), Text(key.description))
    table.add_section()
    table.add_row(Text("Also", "bold"), "")
    for shown, what in OTHER_KEYS:
        table.add_row(Text(shown), Text(what))
    return table


def legend() -> Text:
    marks = [(symbol, field) for field, symbol, _ in MARKS]
    marks += [(symbol, status) for status, symbol in STATUS_MARKS.items() if status != "gone"]
    out = Text("In the timeline: ")
    out.append(", ".join(f"{symbol} {meaning}" for symbol, meaning in marks))
    out.append(". Search matches are underlined.")
    return out


class HelpScreen(ModalScreen[None]):
    """Every key the app answers to, from the same table the bindings come from."""

    BINDINGS: ClassVar = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close", key_display="Esc")
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help {
        width: 90; max-width: 96%; height: 90%; border: thick $primary; background: $panel;
        padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; color: $text-primary; }
    HelpScreen #help-legend { color: $text-muted; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("chronicle — keys (Esc closes)"), id="help-title")
            yield Static(help_table())
            yield Static(legend(), id="help-legend")

    def action_close(self) -> None:
        self.dismiss(None)
