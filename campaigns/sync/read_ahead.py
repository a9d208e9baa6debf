"""Reading the next page while this one is stored: one page ahead, in one thread.

The sync spends its time in two places that need not wait for each other: asking Graph for a page
and parsing it (network and Python), and storing the page before (the database). A thread fetches
and prepares page n+1 while the caller stores page n; at most one prepared page waits. An error in
the thread (a Graph error, a rate limit, an expired token) is raised to the caller at the page where
it happened, after every page before it was handed over, as without the thread. The thread never
touches the database.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_PUT_TIMEOUT = 0.5


def read_ahead(pages: Iterable[T], prepare: Callable[[T], U]) -> Iterator[U]:
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_PUT_TIMEOUT)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for page in pages:
                if not put(("page", prepare(page))):
                    return
        except Exception as exc:  # noqa: BLE001 (handed to the caller, raised there)
            put(("error", exc))
            return
        put(("end", None))

    thread = threading.Thread(target=work, name="sync-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "page":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()  # the caller stopped (done, or an error of its own): the thread ends at its next page
