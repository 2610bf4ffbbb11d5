"""A clock on pure-Python code that never returns: after a wall-clock delay, an exception raised in its thread."""

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Overrun(BaseException):
    """The clock of an expansion ran out. A BaseException: library code that catches Exception lets it through."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the code inside the block after `seconds` of wall clock by raising Overrun in it.

    Written by hand because no maintained library does it within one thread: dateutil and
    recurring-ical-events take no deadline and some rules loop inside them without yielding
    (INTERVAL=0, BYSETPOS that never selects); a signal reaches only the main thread, while the app
    refreshes sources in a worker thread. A timer thread asks CPython to raise Overrun in this thread.
    """
    target = threading.get_ident()
    lock, state = threading.Lock(), {"active": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(Overrun))

    timer = threading.Timer(max(seconds, 0.0), fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["active"] = False
            if state["fired"]:  # raised or about to be: never let it reach the code after the block
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        if state["fired"]:
            raise Overrun
