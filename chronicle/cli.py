"""The ``chronicle`` command: a thin shell over the store, the queries and the commands.

Every failure a user can cause ends as one line on stderr and exit status 1
(usage errors: 2), never a traceback and never a partial write: the store's
transactions make sure of the second, ``main`` of the first.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import click

from chronicle import exports, interrupts, queries
from chronicle.commands import Commands, citations_from, new_id, parse_field
from chronicle.errors import ChronicleError, EntryError
from chronicle.exporters.text import json_text
from chronicle.exporters.timelinejs import GROUPINGS
from chronicle.render import console, literal, print_table, printable, table
from chronicle.store import Store
from chronicle.terms import (
    ENTITY_KINDS,
    MAX_LINE_BYTES,
    PROPERTIES,
    RANKS,
    RELATIONS,
    SOURCE_KINDS,
    SUBJECT_FIELD,
)
from chronicle.wording import figure

# The intake, the spreadsheet import and the payloads' validators are imported where an
# input is read: with pydantic they were about 110 ms of every command's start-up.

DEFAULT_STORE = os.path.join("store", "chronicle.db")
READ_FORMATS = click.Choice(["table", "json", "csv"])


class Context:
    """What every subcommand gets: where the store is and who is writing."""

    def __init__(self, store_path: str, author: str | None, offline: bool = False) -> None:
        self.store_path = store_path
        self.author = author
        self.offline = offline

    def open(
        self, *, create: bool = False, readonly: bool = False, force_rebuild: bool = False
    ) -> Store:
        store = Store.open(
            self.store_path, create=create, readonly=readonly, force_rebuild=force_rebuild
        )
        if readonly and not self.offline and store.upstream_url() is not None:
            from chronicle.replica import pull_before_read

            note = pull_before_read(self.store_path)
            if note:
                _say(note)
        return store

    def commands(self, store: Store) -> Commands:
        return Commands(store, self.author)


pass_ctx = click.make_pass_decorator(Context)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_path",
    envvar="CHRONICLE_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="Store file (env CHRONICLE_STORE).",
)
@click.option("--author", envvar="CHRONICLE_AUTHOR", help="Who records new entries.")
@click.option("--offline", is_flag=True, help="On a replica: read without pulling first.")
@click.version_option(package_name="chronicle")
@click.pass_context
def cli(ctx: click.Context, store_path: str, author: str | None, offline: bool) -> None:
    """chronicle: an event-sourced chronology store. Alone, it opens the terminal app."""
    ctx.obj = Context(store_path, author, offline)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


# --- store lifecycle ---------------------------------------------------------------


def seed_files() -> list[Path]:
    """The seed chronology shipped with the package, in file-name order."""
    from importlib import resources  # only the commands that seed need it (12 ms)

    folder = resources.files("chronicle.seeds")
    return sorted(
        (Path(str(p)) for p in folder.iterdir() if p.name.endswith(".ndjson")),
        key=lambda p: p.name,
    )


def load_seeds(store: Store) -> tuple[int, int]:
    """Load the seed chronology; into a store already written to, it is re-stamped.

    The seeds carry the times they were first written at. A store that holds
    later entries (``init --empty``, then work, then ``seed``) cannot take them
    at those times, since the log's times never go backwards; so they are
    recorded now, each keeping its own time as ``first_recorded_at``.
    """
    added = skipped = 0
    for path in seed_files():
        with path.open("rb") as handle:
            result = store.import_lines(handle, name=path.name, restamp=True)
        added, skipped = added + len(result.added), skipped + result.skipped
    return added, skipped


@cli.command()
@click.option("--empty", is_flag=True, help="Create the store without the seed chronology.")
@pass_ctx
def init(obj: Context, empty: bool) -> None:
    """Create the store (and load the seed chronology)."""
    with obj.open(create=True) as store:
        added, skipped = (0, 0) if empty else load_seeds(store)
        head, _ = store.head()
    _say(f"store {obj.store_path}: {head} entries ({added} added, {skipped} already there)")


@cli.command()
@pass_ctx
def seed(obj: Context) -> None:
    """Load the seed chronology (entries already present are skipped)."""
    with obj.open(create=True) as store:
        added, skipped = load_seeds(store)
    _say(f"seeds: {added} added, {skipped} already there")


@cli.command("import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--format",
    "dataset",
    type=click.Choice(["acled", "ucdp"]),
    help="Read FILE as an ACLED or UCDP GED release (found from the header otherwise).",
)
@click.option(
    "--retract-missing",
    is_flag=True,
    help="Retract this dataset's events that the file's countries and dates cover but it lacks.",
)
@click.option("--release-date", help="The release's date (default: its latest timestamp).")
@click.option(
    "--restamp",
    is_flag=True,
    help="Record now an entry stamped before the log's last one (its time is kept in the entry).",
)
@pass_ctx
def import_(
    obj: Context,
    file: str,
    dataset: str | None,
    retract_missing: bool,
    release_date: str | None,
    restamp: bool,
) -> None:
    """Import an NDJSON log file (- for stdin), a .csv of events, or an ACLED or UCDP GED
    release: all of it or nothing."""
    # Dataset releases are read through sqlite-utils, whose import (with its plugin
    # system) costs every other command about 30 ms of start-up: imported here alone.
    from chronicle.importers.release import import_dataset, sniff_dataset

    path = Path(file)
    if file != "-" and not path.is_file():
        raise ChronicleError(f"no file {file}")
    if file != "-" and (dataset or sniff_dataset(path)):
        with obj.open(create=True) as store:
            summary = import_dataset(
                store, path, author=obj.commands(store).author, wanted=dataset,
                retract_missing=retract_missing, published=release_date,
            )  # fmt: skip
        _say(summary.line(path.name))
        return
    if dataset or retract_missing or release_date:
        raise click.UsageError("--format, --retract-missing and --release-date are for datasets")
    with obj.open(create=True) as store:
        if file == "-":
            result = store.import_lines(sys.stdin.buffer, name="stdin", restamp=restamp)
        elif path.suffix.lower() == ".csv":
            from chronicle.importers.spreadsheet import import_csv

            with path.open(encoding="utf-8-sig", newline="") as text:
                author = obj.commands(store).author
                result = import_csv(store, text, name=path.name, author=author)
        else:
            with path.open("rb") as handle:
                result = store.import_lines(handle, name=path.name, restamp=restamp)
    _say(f"imported {len(result.added)} entries, skipped {result.skipped} already present")


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even from a log whose chain is broken.")
@pass_ctx
def rebuild(obj: Context, force: bool) -> None:
    """Walk the log's chain, drop every projection and replay the log."""
    with obj.open(force_rebuild=force) as store:
        n = store.rebuild(force=force)
    _say(f"rebuilt projections from {n} entries")


@cli.command()
@click.option(
    "--against",
    help="A hash noted down earlier, or a log export (NDJSON) whose every entry must still hold.",
)
@click.option(
    "--projections",
    is_flag=True,
    help="Also replay the log and compare every projection table with it (about a rebuild's time).",
)
@click.option("--remote", is_flag=True, help="Walk the team log's chain: this log must prefix it.")
@pass_ctx
def verify(obj: Context, against: str | None, projections: bool, remote: bool) -> None:
    """Re-walk the hash chain and check the views; exit 1 naming the first thing wrong."""
    # --remote compares with the server as this replica stands: no pull first.
    opened = Store.open(obj.store_path, readonly=True) if remote else obj.open(readonly=True)
    with opened as store:
        if remote:
            from chronicle.replica import Replica

            with Replica(store) as replica:
                result = replica.verify_remote()
        elif against and Path(against).is_file():
            with Path(against).open("rb") as handle:
                result = store.verify(exported=_exported_hashes(handle, against))
        else:
            result = store.verify(against)
        if not result.ok:
            where = f" at seq {result.first_bad}" if result.first_bad else ""
            raise ChronicleError(f"verify failed{where}: {result.problem}")
        from chronicle import audit  # verify alone reads the views' audit (9 ms a start-up)

        found = audit.compare_with_log(store.path) if projections else audit.quick_check(store.conn)
    if found is not None:
        raise ChronicleError(str(found))
    checked = "; every view matches the log" if projections else ""
    _say(f"ok: {result.entries} entries, head {result.head_hash}{checked}")


def _exported_hashes(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, str]]:
    """(seq, hash) of each line of a log export; anything else is refused by its line."""
    from chronicle.intake import bounded_lines
    from chronicle.vocabulary import read_json

    count = 0
    for number, line in enumerate(bounded_lines(lines), start=1):
        if not line.strip():
            continue
        try:
            if len(line) > MAX_LINE_BYTES:
                raise EntryError("too long")
            entry = read_json(line)
            seq, digest = entry["seq"], entry["hash"]
        except (ValueError, KeyError, TypeError):
            seq = digest = None
        if not isinstance(seq, int) or not isinstance(digest, str):
            raise ChronicleError(f"{name}, line {number}: not a log export line (no seq and hash)")
        count += 1
        yield seq, digest
    if not count:
        raise ChronicleError(f"{name} holds no log export lines")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the interchange format."""
    from chronicle.vocabulary import interchange_schema

    click.echo(json.dumps(interchange_schema(), indent=2, ensure_ascii=False))


# --- the team log ----------------------------------------------------------------------


@cli.command()
@click.argument("url")
@pass_ctx
def share(obj: Context, url: str) -> None:
    """Put this store's log on a PostgreSQL team log (password: PGPASSWORD or ~/.pgpass)."""
    from chronicle.replica import share as share_log

    with obj.open() as store:
        pushed = share_log(store, url)
        head, _ = store.head()
    _say(f"shared: {pushed} entries pushed; this store replicates the team log (seq {head})")


@cli.command()
@click.argument("url")
@pass_ctx
def clone(obj: Context, url: str) -> None:
    """Make a new store (--store) replicating the team log at URL."""
    from chronicle.replica import clone as clone_log

    with exports.TerminalProgress("clone") as progress:
        head = clone_log(obj.store_path, url, progress)
    _say(f"cloned {head} entries into {obj.store_path}")


@cli.command()
@pass_ctx
def pull(obj: Context) -> None:
    """Catch this replica up with its team log."""
    from chronicle.replica import Replica

    with obj.open() as store, Replica(store) as replica:
        with exports.TerminalProgress("pull") as progress:
            added = replica.pull(progress=progress)
        head, _ = store.head()
    _say(f"pulled {added} entries; head seq {head}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_ctx
def status(obj: Context, fmt: str) -> None:
    """This replica's head, the team log's head, and how far behind it is."""
    from chronicle.replica import Replica, describe_status

    with (
        Store.open(obj.store_path, readonly=True) as store,
        Replica(store) as replica,
    ):
        described = describe_status(replica.status())
    if fmt == "json":
        click.echo(json.dumps(described, ensure_ascii=False))
        return
    for key, value in described.items():
        click.echo(printable(f"{key}: {value}"))


# --- writing ---------------------------------------------------------------------------


@cli.group()
def add() -> None:
    """Add an event, source, entity or claim (flags, or --json FILE|-)."""


def _json_payload(path: str) -> dict[str, Any]:
    from chronicle.vocabulary import read_json

    if path != "-" and not Path(path).is_file():
        raise EntryError(f"no file {path}")
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        value = read_json(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise EntryError(f"{path}: not valid UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise EntryError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    except EntryError as err:
        raise EntryError(f"{path}: {err}") from None
    if not isinstance(value, dict):
        raise EntryError(f"{path}: expected a JSON object")
    return value


def _add(obj: Context, entry_type: str, data: dict[str, Any], json_file: str | None) -> None:
    if json_file:
        data = _json_payload(json_file)
    data = {k: v for k, v in data.items() if v not in (None, (), [])} | (
        {k: [] for k in ("aliases", "actors", "tags", "citations") if k in data and not data[k]}
    )
    with obj.open(create=True) as store:
        seq = obj.commands(store).add(entry_type, data)
    _say(f"seq {seq}: {entry_type} {data.get(_subject_key(entry_type), '')}")


def _subject_key(entry_type: str) -> str:
    return SUBJECT_FIELD[entry_type]


@add.command("event")
@click.option("--id", "event_id", help="Event id (default: generated).")
@click.option("--title")
@click.option("--when", help="EDTF date: 2024-07-25, 2023-11, 2023-22, 2012~, A/B…")
@click.option("--place", help="Place entity id.")
@click.option(
    "--actor",
    "actors",
    multiple=True,
    help="ENTITY[:ROLE]: an id, name or alias, with a role after a colon (JNIM:attacker).",
)
@click.option("--tag", "tags", multiple=True)
@click.option("--summary", default="")
@click.option("--cite", "cites", multiple=True, help="Source id, repeatable.")
@click.option("--quote", help="A short quote from the first cited source.")
@click.option("--json", "json_file", help="Payload as JSON (FILE or -).")
@pass_ctx
def add_event(obj: Context, event_id, title, when, place, actors, tags, summary, cites, quote,
              json_file) -> None:  # fmt: skip
    """Assert a dated event."""
    data = {
        "event_id": event_id or f"ev:{new_id()[:12]}", "title": title, "when": when,
        "place": place, "actors": queries.list_items(",".join(actors)), "tags": list(tags),
        "summary": summary, "citations": citations_from(cites, quote),
    }  # fmt: skip
    _add(obj, "event.asserted", data, json_file)


@add.command("source")
@click.option("--id", "source_id", help="Source id (default: generated).")
@click.option("--title")
@click.option("--kind", type=click.Choice(SOURCE_KINDS))
@click.option("--publisher")
@click.option("--author", "source_author")
@click.option("--published", help="EDTF date.")
@click.option("--url")
@click.option("--language")
@click.option("--locator")
@click.option("--json", "json_file", help="Payload as JSON (FILE or -).")
@pass_ctx
def add_source(obj: Context, source_id, title, kind, publisher, source_author, published, url,
               language, locator, json_file) -> None:  # fmt: skip
    """Register a source."""
    data = {
        "source_id": source_id or f"src:{new_id()[:12]}", "title": title, "kind": kind,
        "publisher": publisher, "author": source_author, "published": published, "url": url,
        "language": language, "locator": locator,
    }  # fmt: skip
    _add(obj, "source.registered", data, json_file)


@add.command("entity")
@click.option("--id", "entity_id", help="Entity id (default: generated).")
@click.option("--kind", type=click.Choice(ENTITY_KINDS))
@click.option("--name")
@click.option("--alias", "aliases", multiple=True)
@click.option("--description")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--json", "json_file", help="Payload as JSON (FILE or -).")
@pass_ctx
def add_entity(obj: Context, entity_id, kind, name, aliases, description, lat, lon,
               json_file) -> None:  # fmt: skip
    """Register an actor or a place."""
    data = {
        "entity_id": entity_id or f"{kind or 'entity'}:{new_id()[:12]}", "kind": kind,
        "name": name, "aliases": list(aliases), "description": description, "lat": lat,
        "lon": lon,
    }  # fmt: skip
    _add(obj, "entity.registered", data, json_file)


@add.command("claim")
@click.option("--id", "claim_id", help="Claim id (default: generated).")
@click.option("--event", "event_id")
@click.option("--claimant", help="Entity or source id: who says it.")
@click.option("--property", "prop", type=click.Choice(PROPERTIES))
@click.option("--about", help="Entity id: whose dead, wounded…")
@click.option("--low", type=float)
@click.option("--best", type=float)
@click.option("--high", type=float)
@click.option("--unit")
@click.option("--value-text")
@click.option("--source", help="Source id: who reports it.")
@click.option("--quote")
@click.option("--json", "json_file", help="Payload as JSON (FILE or -).")
@pass_ctx
def add_claim(obj: Context, claim_id, event_id, claimant, prop, about, low, best, high, unit,
              value_text, source, quote, json_file) -> None:  # fmt: skip
    """Record who claims what about an event (a figure, with its claimant and source)."""
    numbers = {k: _number(v) for k, v in (("low", low), ("best", best), ("high", high))}
    data = {
        "claim_id": claim_id or f"cl:{new_id()[:12]}", "event_id": event_id,
        "claimant": claimant, "property": prop, "about": about, **numbers, "unit": unit,
        "value_text": value_text, "source": source, "quote": quote,
    }  # fmt: skip
    _add(obj, "claim.asserted", data, json_file)


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value.is_integer() else value


@cli.command()
@click.argument("event_id")
@click.option("--set", "settings", multiple=True, required=True, help="FIELD=VALUE, repeatable.")
@click.option("--reason", required=True)
@click.option("--cite", "cites", multiple=True, help="Source id supporting the change.")
@click.option("--quote")
@click.option("--expect-version", type=int, help="Refuse if the event moved past this version.")
@pass_ctx
def correct(obj: Context, event_id, settings, reason, cites, quote, expect_version) -> None:
    """Correct an event: a new entry with the changed fields, a reason and sources."""
    changes = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep:
            raise click.UsageError(f"--set takes FIELD=VALUE, not {setting!r}")
        changes[name.strip()] = parse_field(name.strip(), value)
    with obj.open() as store:
        seq = obj.commands(store).correct(
            event_id, changes, reason, citations_from(cites, quote), expect_version
        )
    _say(f"seq {seq}: corrected {event_id} ({', '.join(changes)})")


@cli.command()
@click.argument("event_id")
@click.option("--reason", required=True)
@click.option("--cite", "cites", multiple=True)
@click.option("--expect-version", type=int)
@pass_ctx
def retract(obj: Context, event_id, reason, cites, expect_version) -> None:
    """Retract an event (it stays in the log and in history)."""
    with obj.open() as store:
        seq = obj.commands(store).retract(event_id, reason, citations_from(cites), expect_version)
    _say(f"seq {seq}: retracted {event_id}")


@cli.command()
@click.argument("event_id")
@click.option("--into", required=True, help="The event that absorbs it.")
@click.option("--reason", required=True)
@click.option("--expect-version", type=int)
@pass_ctx
def merge(obj: Context, event_id, into, reason, expect_version) -> None:
    """Merge a duplicate event into another."""
    with obj.open() as store:
        seq = obj.commands(store).merge(event_id, into, reason, expect_version)
    _say(f"seq {seq}: merged {event_id} into {into}")


@cli.command()
@click.argument("event_id")
@click.argument("relation", type=click.Choice(RELATIONS))
@click.argument("target")
@pass_ctx
def link(obj: Context, event_id, relation, target) -> None:
    """Link two events (part_of, follows, causes, responds_to, contradicts)."""
    with obj.open() as store:
        seq = obj.commands(store).link(event_id, relation, target)
    _say(f"seq {seq}: {event_id} {relation} {target}")


@cli.command()
@click.argument("entity_id")
@click.argument("alias")
@pass_ctx
def alias(obj: Context, entity_id, alias) -> None:
    """Add another name for an entity (searches and filters find it by it)."""
    with obj.open() as store:
        seq = obj.commands(store).alias(entity_id, alias)
    _say(f"seq {seq}: {entity_id} also known as {printable(alias)}")


@cli.command()
@click.argument("place_id")
@click.option("--lat", type=float, required=True, help="Decimal degrees, north positive.")
@click.option("--lon", type=float, required=True, help="Decimal degrees, east positive.")
@click.option("--reason", help="Why this point (a gazetteer's, a representative one…).")
@click.option("--cite", "cites", multiple=True, help="Source id giving the point, repeatable.")
@pass_ctx
def locate(obj: Context, place_id, lat, lon, reason, cites) -> None:
    """Give a place its coordinates, or new ones (the log keeps every earlier point)."""
    with obj.open() as store:
        seq = obj.commands(store).locate(place_id, lat, lon, reason, citations_from(cites))
    _say(f"seq {seq}: {place_id} at {lat}, {lon}")


@cli.command()
@click.argument("claim_id")
@click.argument("rank", type=click.Choice(RANKS))
@click.option("--reason", required=True)
@pass_ctx
def rank(obj: Context, claim_id, rank, reason) -> None:
    """Rank a claim (deprecated claims leave the disputes)."""
    with obj.open() as store:
        seq = obj.commands(store).rank(claim_id, rank, reason)
    _say(f"seq {seq}: {claim_id} ranked {rank}")


# --- reading ---------------------------------------------------------------------------


def _as_of_option(fn):
    return click.option("--as-of", help="A seq number or an ISO time: the store as it was then.")(
        fn
    )


def _format_option(fn):
    return click.option("--format", "fmt", type=READ_FORMATS, default="table", show_default=True)(
        fn
    )


def emit(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Write rows as a table on the terminal, or through the exporters' writer of ``fmt``."""
    if fmt == "table":
        print_table(console(), rows, columns)
    else:
        exports.write_rows(_stdout(), fmt, columns, rows)


TIMELINE_TABLE = ("event_id", "display", "title", "place", "actors", "disputed")

_FILTER_OPTIONS = (
    click.option("--from", "start", help="From (EDTF or words): events reaching this date."),
    click.option("--to", "end", help="To (EDTF or words): events begun by this date."),
    click.option("--actor", "actors", multiple=True, help="Actor id, name or alias."),
    click.option("--place", "places", multiple=True, help="Place id, name or alias."),
    click.option("--tag", "tags", multiple=True),
    click.option("--search", help="Full-text search (titles, summaries, quotes, names, aliases)."),
    click.option("--include-retracted", is_flag=True),
)


def timeline_filter_options(fn):
    """The timeline's filter options, handed to the command as one ``flt`` argument.

    Every command that narrows events (timeline, export) takes the same options
    with the same meaning, so they are declared once here.
    """

    @functools.wraps(fn)
    def with_filter(*args, start, end, actors, places, tags, search, include_retracted, **kw):
        kw["flt"] = queries.TimelineFilter.from_words(
            start, end, actors=actors, places=places, tags=tags, search=search,
            include_retracted=include_retracted,
        )  # fmt: skip
        return fn(*args, **kw)

    for option in reversed(_FILTER_OPTIONS):
        with_filter = option(with_filter)
    return with_filter


@cli.command("timeline")
@timeline_filter_options
@_as_of_option
@_format_option
@pass_ctx
def timeline_cmd(obj: Context, flt: queries.TimelineFilter, as_of, fmt) -> None:
    """The chronology, in date order."""
    with obj.open(readonly=True) as store:
        seq = queries.resolve_as_of(store.conn, as_of)
        if fmt == "table":
            emit(queries.timeline(store.conn, flt, seq), TIMELINE_TABLE, fmt)
        else:
            exports.write_export(store.conn, "timeline", fmt, _stdout(), flt, seq)


@cli.command()
@click.argument("event_id")
@_as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_ctx
def show(obj: Context, event_id: str, as_of: str | None, fmt: str) -> None:
    """One event: its state, citations, claims and disputes, and its whole history."""
    with obj.open(readonly=True) as store:
        seq = queries.resolve_as_of(store.conn, as_of)
        detail = queries.show(store.conn, event_id, seq)
    if fmt == "json":
        click.echo(json_text(detail.__dict__, indent=2))
        return
    _print_detail(detail)


def _print_detail(detail: queries.EventDetail) -> None:
    out = console()
    e = detail.event
    if detail.as_of is not None:
        out.print(literal(f"as of seq {detail.as_of}", "bold yellow"))
    out.print(literal(e["title"], "bold"))
    flags = [
        f for f, on in (("approximate", e["approximate"]), ("uncertain", e["uncertain"])) if on
    ]
    out.print(
        literal(
            f"{e['display']}  ({e['when_edtf']}: {e['earliest'] or '…'} to {e['latest'] or '…'}, "
            f"{e['precision']}{', ' + ', '.join(flags) if flags else ''})"
        )
    )
    out.print(literal(f"{e['event_id']} · version {e['version']} · {e['status']}"
                      + (f" into {e['merged_into']}" if e["merged_into"] else "")))  # fmt: skip
    if e["place"]:
        out.print(literal(f"place: {e['place']} ({e['place_id']})"))
    if e["tags"]:
        out.print(literal("tags: " + ", ".join(e["tags"])))
    out.print(literal(e["summary"]))
    for title, rows, columns in _detail_sections(detail):
        if rows:
            out.print(table(rows, columns, title=title))


def _detail_sections(detail: queries.EventDetail) -> list[tuple[str, list, tuple[str, ...]]]:
    """The tables ``show`` prints under an event, with the columns of each."""
    return [
        ("actors", detail.actors, ("name", "role", "side", "entity_id", "aliases")),
        ("citations", detail.citations,
         ("source_id", "title", "publisher", "published", "quote", "named_as")),
        ("claims", detail.claims,
         ("property", "about_name", "claimant_name", "low", "best", "high", "value_text",
          "source_id", "rank")),
        ("disputes", detail.disputes,
         ("property", "about_name", "n_claimants", "low", "high", "disputed")),
        ("links", detail.links, ("direction", "relation", "event_id", "title")),
        ("history", detail.history, ("seq", "recorded_at", "author", "type", "reason")),
    ]  # fmt: skip


@cli.command("disputes")
@click.option("--event", "event_id", help="Only this event.")
@click.option("--all", "show_all", is_flag=True, help="Also groups whose claims agree.")
@_as_of_option
@_format_option
@pass_ctx
def disputes_cmd(obj: Context, event_id, show_all, as_of, fmt) -> None:
    """Who claims what: per event, property and about-entity, and whether they disagree."""
    with obj.open(readonly=True) as store:
        seq = queries.resolve_as_of(store.conn, as_of)
        only = not show_all
        rows: Iterable[dict[str, Any]] = (
            queries.disputes(store.conn, seq, event_id=event_id, disputed_only=only)
            if event_id is not None  # checks that the event exists; one event's groups
            else queries.iter_disputes(store.conn, seq, disputed_only=only)
        )
        columns: Sequence[str] = queries.DISPUTE_COLUMNS
        if fmt == "table":
            rows = (r | {"claims": "; ".join(map(_claim_words, r["claimants"]))} for r in rows)
            columns = ("event_id", "property", "about_name", "low", "high", "claims")
        emit(rows, columns, fmt)


def _claim_words(claim: dict[str, Any]) -> str:
    return f"{claim['claimant']}: {figure(claim)}"


@cli.command("log")
@click.option("--from", "start", type=int, default=1, show_default=True, help="First seq.")
@click.option("--limit", type=int, help="At most this many entries.")
@click.option("--subject", help="Only entries about this id.")
@click.option("--ndjson", is_flag=True, help="The raw interchange format, with seq and hashes.")
@_format_option
@pass_ctx
def log_cmd(obj: Context, start, limit, subject, ndjson, fmt) -> None:
    """The log itself, oldest first."""
    with obj.open(readonly=True) as store:
        if ndjson:
            entries = itertools.islice(store.entries(start), limit)
            mine = (e for e in entries if subject is None or e["subject"] == subject)
            emit(mine, queries.LOG_SUMMARY_COLUMNS, "ndjson")
            return
        rows = queries.log_entries(store.conn, start=start, limit=limit, subject=subject)
        emit(rows, queries.LOG_SUMMARY_COLUMNS, fmt)


@cli.command("export")
@click.argument("what", type=click.Choice(exports.WHATS))
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: standard output; required for sqlite).")  # fmt: skip
@click.option("--title", help="Title of a chronology (markdown, html, timelinejs).")
@click.option("--group-by", type=click.Choice(GROUPINGS), default="place",
              show_default=True, help="TimelineJS rows: by place or by first tag.")  # fmt: skip
@click.option("--force", is_flag=True, help="Let --output overwrite another chronicle store.")
@click.option(
    "--raw-cells", is_flag=True, help="csv, timelinejs-csv: cells starting = + - @ left as is."
)
@timeline_filter_options
@_as_of_option
@pass_ctx
def export_cmd(obj: Context, what, fmt, output, title, group_by, force, raw_cells, flt,
               as_of) -> None:  # fmt: skip
    """Export timeline, events, claims, disputes, sources, entities, history or the log."""
    exports.check(what, fmt, flt)
    options = {"title": title, "group_by": group_by, "raw_cells": raw_cells}
    with obj.open(readonly=True) as store:
        seq = queries.resolve_as_of(store.conn, as_of)
        progress = exports.TerminalProgress(f"export {what}") if sys.stderr.isatty() else None
        with progress or contextlib.nullcontext():
            options["progress"] = progress
            if output and output != "-":
                result = exports.export_file(
                    store.conn, what, fmt, output, flt, seq, force=force, **options
                )
            elif fmt == "sqlite":
                raise click.UsageError("the sqlite format needs --output FILE")
            else:
                result = exports.write_export(store.conn, what, fmt, _stdout(), flt, seq, **options)
    if result.path:
        extra = f" and {result.metadata}" if result.metadata else ""
        _say(f"exported {result.rows} rows to {result.path}{extra}")


@cli.command()
@click.argument("sql")
@_format_option
@click.option(
    "--time-limit", type=click.FloatRange(min=0), default=queries.DEFAULT_TIME_LIMIT_S,
    show_default=True, metavar="SECONDS", help="Stop the query after this long (0: never).",
)  # fmt: skip
@pass_ctx
def query(obj: Context, sql: str, fmt: str, time_limit: float) -> None:
    """Run one read-only SQL statement against the projections and the log; rows stream."""
    with (
        obj.open(readonly=True) as store,
        queries.read_only_query(store.conn, sql, time_limit) as (columns, rows),
    ):
        emit((dict(zip(columns, r, strict=True)) for r in rows), columns, fmt)


@cli.command()
@pass_ctx
def tui(obj: Context) -> None:
    """Open the terminal app (creating and seeding the store on first run)."""
    if not Path(obj.store_path).exists():
        with obj.open(create=True) as store:
            load_seeds(store)
    from chronicle.tui.app import run

    run(obj.store_path, obj.author)


# --- entry point ---------------------------------------------------------------------


def _stdout() -> BinaryIO:
    """Standard output as bytes: every format is written as UTF-8, whatever the locale says."""
    return sys.stdout.buffer


def _say(message: str) -> None:
    click.echo(printable(message), err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every expected failure becomes one line and a non-zero exit."""
    try:
        _invoke(sys.argv[1:] if argv is None else list(argv))
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as err:
        _fail(err.format_message(), err.exit_code)
    except click.exceptions.Abort:
        _fail("aborted", 1)
    except BrokenPipeError:
        _reader_gone()
    except (ChronicleError, sqlite3.Error, OSError) as err:
        _fail(str(err).splitlines()[0] if str(err) else type(err).__name__, 1)
    except UnicodeError as err:  # e.g. an argument holding bytes that are not UTF-8
        _fail(f"not valid UTF-8 text ({getattr(err, 'reason', err)})", 1)
    except interrupts.INTERRUPTS:
        interrupts.exit_interrupted()
    except MemoryError:
        # Raised where an allocation failed; the transaction has been rolled back.
        _fail(interrupts.out_of_memory(), 1)


def _invoke(args: list[str]) -> None:
    """Click's ``main`` without its own handlers, which ``main`` replaces.

    Click would turn Ctrl-C into an empty line, "Aborted!" and status 1, and a
    closed pipe into a silent status 1 that hid where it came from.
    """
    with cli.make_context("chronicle", args) as ctx:
        cli.invoke(ctx)


def _reader_gone() -> None:
    """Output to a pipe whose reader has left (``| head``): end quietly, status 1.

    Standard output is pointed at /dev/null first, so the flush at exit, which
    would fail again on the same pipe, has somewhere to go.
    """
    with contextlib.suppress(AttributeError, OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    sys.exit(1)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {printable(message, keep_newlines=False)}", err=True)
    sys.exit(code)
