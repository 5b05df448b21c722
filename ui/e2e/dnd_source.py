#!/usr/bin/env python3
"""A minimal drag source for the drag-and-drop end-to-end test (dnd.test.mjs).

An undecorated GTK3 window at a given screen position that offers the given files as
`text/uri-list`, exactly what a file manager offers when a file is dragged out of it. The test
drives the pointer with xdotool; GTK speaks XDND to the window under the pointer.

Usage: dnd_source.py X Y FILE...
Prints "ready X Y W H" (the window's screen rectangle) once the window is mapped, "sent N" each
time the drop target asks for the data, and "end" when a drag ends.
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402


def say(line):
    print(line, flush=True)


def main():
    if len(sys.argv) < 4:
        sys.stderr.write("usage: dnd_source.py X Y FILE...\n")
        return 2
    x, y = int(sys.argv[1]), int(sys.argv[2])
    uris = [GLib.filename_to_uri(p, None) for p in sys.argv[3:]]

    win = Gtk.Window(title="confab-dnd-source")
    win.set_decorated(False)
    win.set_default_size(140, 100)
    win.move(x, y)
    win.connect("destroy", Gtk.main_quit)

    # An event box covering the whole window is the drag source: a press anywhere on it followed
    # by a move past the drag threshold starts the drag.
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="drag me"))
    win.add(box)
    box.drag_source_set(
        Gdk.ModifierType.BUTTON1_MASK,
        [Gtk.TargetEntry.new("text/uri-list", 0, 0)],
        Gdk.DragAction.COPY,
    )

    def on_get(_widget, _ctx, data, _info, _time):
        data.set_uris(uris)
        say(f"sent {len(uris)}")

    box.connect("drag-data-get", on_get)
    box.connect("drag-end", lambda *_: say("end"))
    # GtkDragResult: 1 no target, 2 cancelled by the user, 3 grab broken, 4 timeout, 5 error.
    box.connect("drag-failed", lambda _w, _ctx, result: say(f"failed {int(result)}") or False)

    def on_map(_w, _ev):
        # Report where the window really is (no window manager under Xvfb: where it was put).
        def report():
            ox, oy = win.get_window().get_origin()[1:]
            say(f"ready {ox} {oy} {win.get_allocated_width()} {win.get_allocated_height()}")
            return False

        GLib.idle_add(report)
        return False

    win.connect("map-event", on_map)
    win.show_all()
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
