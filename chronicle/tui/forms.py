"""Modal forms: add an event or a claim; correct, retract or merge the selected event.

Every field is checked as it is typed, with the same functions the write uses:
a date shows the bounds it was understood to mean, or why it cannot be read; a
place, actor or source shows what the words resolve to. Saving goes through
``chronicle.commands`` only, so the TUI writes exactly what the CLI would, and a
stale write (someone else changed the event since the form opened) comes back as
the ConflictError it is, never as an overwrite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from chronicle import queries
from chronicle.commands import Commands, citations_from, new_id
from chronicle.dates import parse_loose
from chronicle.errors import ChronicleError, ConflictError, EntryError
from chronicle.queries import EventDetail, QueryError
from chronicle.render import printable
from chronicle.terms import PROPERTIES

Parser = Callable[[sqlite3.Connection, str], tuple[Any, str]]
Save = Callable[[dict[str, Any], set[str]], Any]  # (values, names of the fields changed)


class FieldError(ChronicleError):
    """A field that cannot be saved as typed; names the field so the form can focus it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- what each kind of field accepts, and what it shows while typing --------------------


def parse_text(_conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    return text.strip(), ""


def parse_date(_conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    """EDTF or plain words; the preview is what will be stored and what it means."""
    bounds = parse_loose(text)
    flags = [f for f in ("approximate", "uncertain") if getattr(bounds, f)]
    span = f"{bounds.earliest or '…'} → {bounds.latest or '…'}"
    facts = [bounds.display, span, bounds.precision, *flags, f"EDTF {bounds.edtf}"]
    return bounds.edtf, " · ".join(facts)


def _named(conn: sqlite3.Connection, ref: str) -> str:
    return f"{queries.display_name(conn, ref)} ({ref})"


def parse_place(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    place = queries.resolve_entities(conn, text.strip(), "place")[0]
    return place, _named(conn, place)


def parse_entity(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    entity = queries.resolve_entities(conn, text.strip())[0]
    return entity, _named(conn, entity)


def parse_source(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    source = queries.resolve_source(conn, text.strip())
    return source, _named(conn, source)


def parse_claimant(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    """Who says it: an actor, or a source speaking for itself."""
    try:
        return parse_entity(conn, text)
    except QueryError:
        try:
            return parse_source(conn, text)
        except QueryError:
            raise QueryError(f"no actor or source is called {text.strip()!r}") from None


def parse_actors(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    actors = queries.actors_from(conn, text)
    shown = [
        queries.display_name(conn, a["entity"]) + (f" ({a['role']})" if a.get("role") else "")
        for a in actors
    ]
    return actors, ", ".join(shown)


def parse_tags(_conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    return [t.strip() for t in text.split(",") if t.strip()], ""


def parse_number(_conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    try:
        value = float(text)
    except ValueError:
        raise EntryError(f"{text.strip()!r} is not a number") from None
    if value < 0 or value != value:
        raise EntryError("a count cannot be negative")
    return (int(value) if value.is_integer() else value), ""


def parse_event(conn: sqlite3.Connection, text: str) -> tuple[Any, str]:
    event_id = text.strip()
    row = queries.events_by_id(conn, [event_id]).get(event_id)
    if row is None:
        raise QueryError(f"unknown event {event_id!r}")
    return event_id, f"{row['title']} · {row['display']} · {row['status']}"


PARSERS: dict[str, Parser] = {
    "text": parse_text,
    "date": parse_date,
    "place": parse_place,
    "entity": parse_entity,
    "source": parse_source,
    "claimant": parse_claimant,
    "actors": parse_actors,
    "tags": parse_tags,
    "number": parse_number,
    "event": parse_event,
}


@dataclass(frozen=True)
class Field:
    """One input of a form."""

    name: str
    label: str
    kind: str = "text"  # a key of PARSERS, or "select" / "flag"
    required: bool = False
    value: str = ""
    placeholder: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Saved:
    """What a form did, for the status line and for where the cursor goes next."""

    message: str
    event_id: str | None = None


# --- the form screen -------------------------------------------------------------------


class FormScreen(ModalScreen[Any]):
    """A titled set of fields with live checks; Ctrl+S saves, Esc cancels."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="form.cancel", key_display="Esc"),
        Binding("ctrl+s", "save", "Save", id="form.save", key_display="^s"),
        Binding("down", "app.focus_next", "Next field", id="form.next", show=False),
        Binding("up", "app.focus_previous", "Previous field", id="form.previous", show=False),
    ]
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen #form {
        width: 100; max-width: 96%; height: auto; max-height: 96%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    FormScreen #form-title { text-style: bold; color: $text-primary; }
    FormScreen #form-note { color: $text-muted; }
    FormScreen #form-fields { height: auto; max-height: 100%; }
    FormScreen .form-row { height: auto; }
    FormScreen #form-fields { margin: 1 0; }
    FormScreen .form-label { width: 14; padding-right: 1; color: $text-secondary; }
    FormScreen .form-row Input, FormScreen .form-row Select { width: 1fr; }
    FormScreen .form-hint { color: $text-muted; padding-left: 14; height: auto; }
    FormScreen .form-hint.-invalid { color: $text-error; }
    FormScreen #form-foot { dock: bottom; height: auto; }
    FormScreen #form-error { color: $text-error; text-style: bold; height: auto; }
    FormScreen #form-buttons { height: auto; align-horizontal: right; }
    FormScreen #form-buttons Button { margin-left: 2; }
    """

    def __init__(
        self,
        title: str,
        fields: Iterable[Field],
        conn: sqlite3.Connection,
        save: Save,
        note: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        # Values from the store are shown printable (an Input would pass an ESC on to
        # the terminal); an untouched field then compares equal and is not written.
        self.fields = {
            f.name: replace(f, value=printable(f.value, keep_newlines=False)) for f in fields
        }
        self.conn = conn
        self.save = save
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(Text(self.title_text), id="form-title")
            if self.note:
                yield Static(Text(printable(self.note)), id="form-note")
            with VerticalScroll(id="form-fields"):
                for field in self.fields.values():
                    with Horizontal(classes="form-row"):
                        label = field.label + (" *" if field.required else "")
                        yield Label(Text(label), classes="form-label")
                        yield self._widget(field)
                    yield Static(id=f"hint-{field.name}", classes="form-hint")
            with Vertical(id="form-foot"):  # docked: always in view, however long the form
                yield Static(id="form-error")
                with Horizontal(id="form-buttons"):
                    yield Button("Save ^s", id="form-save", variant="primary", compact=True)
                    yield Button("Cancel Esc", id="form-cancel", compact=True)

    def _widget(self, field: Field) -> Widget:
        wid = f"field-{field.name}"
        if field.kind == "select":
            options = [(Text(o), o) for o in field.options]
            return Select(
                options,
                value=field.value or Select.NULL,
                allow_blank=not field.required,
                compact=True,
                id=wid,
            )
        if field.kind == "flag":
            return Checkbox(Text(field.placeholder), value=bool(field.value), compact=True, id=wid)
        return Input(field.value, placeholder=field.placeholder, compact=True, id=wid)

    def on_mount(self) -> None:
        for field in self.fields.values():
            self._check(field.name)
        self.query_one(f"#field-{next(iter(self.fields))}").focus()

    # --- checking ----------------------------------------------------------------------

    def _raw(self, name: str) -> Any:
        # Every field's widget (Input, Select, Checkbox) has a value; Widget itself has none.
        return self.query_one(f"#field-{name}").value  # type: ignore[attr-defined]  # see above

    def _parse(self, name: str) -> Any:
        """The field's value as the write wants it; raises FieldError naming the field."""
        field, raw = self.fields[name], self._raw(name)
        if field.kind == "flag":
            return bool(raw)
        if field.kind == "select":
            if raw in (Select.NULL, None):
                if field.required:
                    raise FieldError(name, f"{field.label}: choose one")
                return None
            return raw
        if not raw.strip():
            if field.required:
                raise FieldError(name, f"{field.label} is required")
            return None
        try:
            return PARSERS[field.kind](self.conn, raw)[0]
        except ChronicleError as err:
            raise FieldError(name, f"{field.label}: {err}") from None

    def _check(self, name: str) -> None:
        field = self.fields.get(name)
        if field is None:
            return
        hint = self.query_one(f"#hint-{name}", Static)
        raw = self._raw(name)
        try:
            plain = field.kind in ("select", "flag") or not raw.strip()
            preview, ok = ("" if plain else PARSERS[field.kind](self.conn, raw)[1]), True
        except ChronicleError as err:
            preview, ok = str(err), False
        hint.set_class(not ok, "-invalid")
        hint.display = bool(preview)
        hint.update(Text(printable(preview, keep_newlines=False)))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._check(event.input.id.removeprefix("field-"))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # --- saving ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {name: self._parse(name) for name in self.fields}

    def changed(self) -> set[str]:
        """Fields whose text differs from what the form opened with."""
        return {
            name
            for name, field in self.fields.items()
            if str(self._raw(name)).strip() != field.value.strip()
        }

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Text(printable(message, keep_newlines=False)))

    def action_save(self) -> None:
        try:
            result = self.save(self.values(), self.changed())
        except FieldError as err:
            self.show_error(str(err))
            self.query_one(f"#field-{err.field}").focus()
            return
        except ConflictError as err:
            self.show_error(f"Not saved: someone else changed this event meanwhile ({err}).")
            return
        except ChronicleError as err:
            self.show_error(f"Not saved: {err}")
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- the forms ---------------------------------------------------------------------------

WHY = "why, for the log"
CITE_FIELDS = (
    Field("source", "Source", "source", placeholder="source id or title"),
    Field("quote", "Quote", placeholder="the words of the source"),
)


def _citations(values: dict[str, Any]) -> list[dict[str, Any]]:
    return citations_from([values["source"]], values["quote"]) if values["source"] else []


def _required(values: dict[str, Any], name: str, label: str) -> Any:
    if values.get(name) in (None, "", []):
        raise FieldError(name, f"{label} is required")
    return values[name]


def add_event_form(conn: sqlite3.Connection, commands: Commands) -> FormScreen:
    fields = (
        Field("title", "Title", required=True),
        Field("when", "When", "date", True, placeholder="EDTF or words: 25-27 July 2024, 2023-11"),
        Field("place", "Place", "place", placeholder="name, alias or id"),
        Field("actors", "Actors", "actors", placeholder="JNIM:attacker, FAMa"),
        Field("tags", "Tags", "tags", placeholder="battle, drone"),
        Field("summary", "Summary"),
        *CITE_FIELDS,
        Field("named_as", "Named as", placeholder="the source's spelling of the place"),
    )

    def save(values: dict[str, Any], _changed: set[str]) -> Saved:
        event_id = f"ev:{new_id()[:12]}"
        citations = _citations(values)
        if citations and values["named_as"]:
            citations[0]["named_as"] = values["named_as"]
        data = {
            "event_id": event_id, "title": values["title"], "when": values["when"],
            "actors": values["actors"] or [], "tags": values["tags"] or [],
            "summary": values["summary"] or "", "citations": citations,
        }  # fmt: skip
        if values["place"]:
            data["place"] = values["place"]
        seq = commands.add("event.asserted", data)
        return Saved(f"seq {seq}: added {event_id}", event_id)

    return FormScreen("Add an event", fields, conn, save, f"as {commands.author}")


def add_claim_form(conn: sqlite3.Connection, commands: Commands, detail: EventDetail) -> FormScreen:
    event = detail.event
    fields = (
        Field("claimant", "Claimant", "claimant", True, placeholder="who says it: actor or source"),
        Field("property", "Property", "select", True, options=PROPERTIES),
        Field("about", "About", "entity", placeholder="whose dead, wounded… (actor)"),
        Field("low", "Low", "number"),
        Field("best", "Best", "number"),
        Field("high", "High", "number"),
        Field("unit", "Unit"),
        Field("value_text", "Words used", placeholder="dozens, heavy losses"),
        Field("source", "Source", "source", True, placeholder="who reports it: id or title"),
        Field("quote", "Quote"),
    )

    def save(values: dict[str, Any], _changed: set[str]) -> Saved:
        if all(values[k] is None for k in ("low", "best", "high", "value_text")):
            raise FieldError("best", "give a figure (low, best, high) or the words used")
        claim_id = f"cl:{new_id()[:12]}"
        data = {"claim_id": claim_id, "event_id": event["event_id"]}
        data.update({k: v for k, v in values.items() if v is not None})
        seq = commands.add("claim.asserted", data)
        return Saved(f"seq {seq}: claim {claim_id} on {event['event_id']}", event["event_id"])

    note = f"on {event['title']} ({event['event_id']}) · as {commands.author}"
    return FormScreen("Add a claim", fields, conn, save, note)


def _actor_words(detail: EventDetail) -> str:
    return ", ".join(
        a["entity_id"] + (f":{a['role']}" if a.get("role") else "") for a in detail.actors
    )


def correct_form(conn: sqlite3.Connection, commands: Commands, detail: EventDetail) -> FormScreen:
    """The event's fields, filled in; only what the user changes goes into the entry."""
    e = detail.event
    fields = (
        Field("title", "Title", required=True, value=e["title"]),
        Field("when", "When", "date", True, value=e["when_edtf"]),
        Field("place", "Place", "place", value=e["place_id"] or ""),
        Field("actors", "Actors", "actors", value=_actor_words(detail)),
        Field("tags", "Tags", "tags", value=", ".join(e["tags"])),
        Field("summary", "Summary", value=e["summary"]),
        Field("reason", "Reason", required=True, placeholder=WHY),
        *CITE_FIELDS,
    )
    version = e["version"]

    def save(values: dict[str, Any], changed: set[str]) -> Saved:
        changes: dict[str, Any] = {
            name: values[name] if values[name] is not None else _empty(name)
            for name in ("title", "when", "place", "actors", "tags", "summary")
            if name in changed
        }
        if not changes:
            raise FieldError("title", "nothing changed: edit a field, or press Esc")
        reason = _required(values, "reason", "Reason")
        seq = commands.correct(e["event_id"], changes, reason, _citations(values), version)
        return Saved(f"seq {seq}: corrected {e['event_id']} ({', '.join(changes)})", e["event_id"])

    note = f"{e['event_id']} at version {version} · as {commands.author}"
    return FormScreen("Correct the event", fields, conn, save, note)


def _empty(name: str) -> Any:
    return {"place": None, "actors": [], "tags": [], "summary": ""}.get(name, "")


def retract_form(conn: sqlite3.Connection, commands: Commands, detail: EventDetail) -> FormScreen:
    e = detail.event
    fields = (Field("reason", "Reason", required=True, placeholder=WHY), *CITE_FIELDS)

    def save(values: dict[str, Any], _changed: set[str]) -> Saved:
        seq = commands.retract(e["event_id"], values["reason"], _citations(values), e["version"])
        return Saved(f"seq {seq}: retracted {e['event_id']}", e["event_id"])

    note = f"{e['title']} ({e['event_id']}, version {e['version']}) · as {commands.author}"
    return FormScreen("Retract the event", fields, conn, save, note)


def merge_form(conn: sqlite3.Connection, commands: Commands, detail: EventDetail) -> FormScreen:
    e = detail.event
    fields = (
        Field("into", "Into", "event", True, placeholder="id of the event that absorbs it"),
        Field("reason", "Reason", required=True, placeholder=WHY),
    )

    def save(values: dict[str, Any], _changed: set[str]) -> Saved:
        if values["into"] == e["event_id"]:
            raise FieldError("into", "an event cannot be merged into itself")
        seq = commands.merge(e["event_id"], values["into"], values["reason"], e["version"])
        return Saved(f"seq {seq}: merged {e['event_id']} into {values['into']}", values["into"])

    note = f"{e['title']} ({e['event_id']}, version {e['version']}) · as {commands.author}"
    return FormScreen("Merge the event into another", fields, conn, save, note)
