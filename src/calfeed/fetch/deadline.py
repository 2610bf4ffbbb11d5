"""The wall-clock deadline of one HTTP attempt, and the session whose connections it can cut."""

import socket
import threading
import time

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_REDIRECTS = 5


def watched_session(concurrency: int) -> requests.Session:
    """A session whose connections a Watchdog can cut; a connection per parallel request in its pool."""
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = _WatchedAdapter(pool_connections=concurrency, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# The wall-clock deadline. requests' read timeout bounds each socket read, not the response: a server
# sending a few bytes every second never trips it. A timer closes the connection of the attempt at its
# deadline, whatever phase it is in; the connection classes below tell the timer which socket is in use.
_current = threading.local()


class Watchdog:
    """`with Watchdog(deadline):` shuts the sockets of the requests made inside at `deadline`."""


    def __init__(self, deadline: float):
        self.deadline, self.fired = deadline, False
        self._connections, self._sockets, self._lock = [], [], threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self):
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        _current.watchdog = None
        if self.fired:
            for connection in self._connections:
                connection.close()  # never back into the pool half-read

    def watch(self, connection, sock):
        with self._lock:
            if connection not in self._connections:
                self._connections.append(connection)
            if sock is not None:
                self._sockets.append(sock)
            fired = self.fired
        if fired:
            self._shut(sock)

    def _fire(self):
        with self._lock:
            self.fired = True
            sockets = [*self._sockets, *(c.sock for c in self._connections)]
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock):
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


def _watched_request(connection, request, args, kwargs):
    """Send a request, telling the thread's watchdog which socket carries it.

    The socket is taken once the request is sent: http.client drops the connection's reference to it
    when the response says « Connection: close », while the response keeps reading from it.
    """
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(connection, None)
    result = request(*args, **kwargs)
    if watchdog is not None:
        watchdog.watch(connection, connection.sock)
    return result


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args, **kwargs):
        return _watched_request(self, super().request, args, kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args, **kwargs):
        return _watched_request(self, super().request, args, kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTLSPool}
