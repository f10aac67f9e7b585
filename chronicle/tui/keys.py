"""Every key the app answers to, in one table: bindings, help and palette come from it.

Keeping the table in one place is what lets the help screen list every key, the
command palette list every action and each binding carry an id (so a user keymap
can rebind it) without three lists drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One action and the keys bound to it."""

    id: str  # binding id, unique: what a keymap names
    keys: str  # Textual key names, comma-separated
    action: str  # action name, run on the widget that owns the scope
    description: str  # short, for the footer and the palette
    show: bool = False  # in the footer
    display: str | None = None  # how the keys are written in the footer and help

    @property
    def shown_keys(self) -> str:
        return self.display or " ".join(self.keys.split(","))

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.description,
            show=self.show,
            key_display=self.display,
            id=self.id,
        )


TIMELINE = (
    Key("timeline.down", "j,down", "step(1)", "Next event", display="j ↓"),
    Key("timeline.up", "k,up", "step(-1)", "Previous event", display="k ↑"),
    Key("timeline.page_down", "pagedown", "page(1)", "Page down", display="PgDn"),
    Key("timeline.page_up", "pageup", "page(-1)", "Page up", display="PgUp"),
    Key("timeline.first", "g,home", "first", "First event", display="g Home"),
    Key("timeline.last", "G,end", "last", "Last event", display="G End"),
    Key("timeline.year_back", "left_square_bracket", "year(-1)", "Year back", display="["),
    Key("timeline.year_forward", "right_square_bracket", "year(1)", "Year on", display="]"),
    Key("timeline.open", "enter", "open", "Go to the detail", display="Enter"),
)

DETAIL = (
    Key("detail.back", "escape", "back", "Back to the timeline", display="Esc"),
)  # fmt: skip

MAP = (
    Key("map.left", "h,left", "move(-1, 0)", "Cursor west", display="h ←"),
    Key("map.right", "l,right", "move(1, 0)", "Cursor east", display="l →"),
    Key("map.up", "k,up", "move(0, -1)", "Cursor north", display="k ↑"),
    Key("map.down", "j,down", "move(0, 1)", "Cursor south", display="j ↓"),
    Key("map.pan_west", "H,shift+left", "pan(-1, 0)", "Pan west", display="H"),
    Key("map.pan_east", "L,shift+right", "pan(1, 0)", "Pan east", display="L"),
    Key("map.pan_north", "K,shift+up", "pan(0, -1)", "Pan north", display="K"),
    Key("map.pan_south", "J,shift+down", "pan(0, 1)", "Pan south", display="J"),
    Key("map.zoom_in", "plus,equals_sign", "zoom(2)", "Zoom in on the cursor", display="+"),
    Key("map.zoom_out", "minus", "zoom(0.5)", "Zoom out", display="-"),
    Key("map.fit", "0", "fit", "Fit the view's events", display="0"),
    Key("map.pick", "enter", "pick", "Filter the timeline to the cell", display="Enter"),
    Key("map.back", "escape", "back", "Back to the timeline", display="Esc"),
)

APP = (
    Key("app.search", "slash", "search", "Search", show=True, display="/"),
    Key("app.next_match", "n", "match(1)", "Next match"),
    Key("app.previous_match", "N", "match(-1)", "Previous match"),
    Key("app.filter", "f", "filter", "Filter", show=True),
    Key("app.clear_filter", "x", "clear_filter", "Clear the filter"),
    Key("app.jump_date", "t", "jump_date", "Jump to a date", show=True),
    Key("app.time_travel", "at", "time_travel", "Time travel", show=True, display="@"),
    Key("app.as_of_back", "comma", "as_of_step(-1)", "As of one entry earlier", display=","),
    Key("app.as_of_forward", "full_stop", "as_of_step(1)", "As of one entry later", display="."),
    Key("app.as_of_day_back", "less_than_sign", "as_of_day(-1)", "As of a day earlier",
        display="<"),
    Key("app.as_of_day_forward", "greater_than_sign", "as_of_day(1)", "As of a day later",
        display=">"),
    Key("app.add_event", "a", "add_event", "Add an event", show=True),
    Key("app.add_claim", "c", "add_claim", "Add a claim"),
    Key("app.correct", "e", "correct", "Correct the event", show=True),
    Key("app.retract", "R", "retract", "Retract the event"),
    Key("app.merge", "M", "merge", "Merge the event into another"),
    Key("app.export", "E", "export", "Export the view"),
    Key("app.map", "m", "toggle_map", "Map", show=True),
    Key("app.back", "escape", "back", "Leave time travel, clear the search", display="Esc"),
    Key("app.help", "question_mark", "help", "Help", show=True, display="?"),
    Key("app.quit", "q", "quit", "Quit", show=True),
)  # fmt: skip

SCOPES = (("Timeline", TIMELINE), ("Detail", DETAIL), ("Map", MAP), ("Everywhere", APP))
