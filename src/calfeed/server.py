"""Run the web app under gunicorn: the production server, also behind `calfeed serve`."""

import errno
import socket

from gunicorn.app.base import BaseApplication

from .web import create_app


class _Server(BaseApplication):
    def __init__(self, options: dict, app_config: dict):
        self.options, self.app_config = options, app_config
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn ≥ 25.1 opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl): a second
        # calfeed on the machine (a test copy next to production) would take it over, and `gunicornc
        # shutdown` would stop the wrong service. calfeed is run by its own commands: no control socket.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return create_app(self.app_config)


def run_server(config_path, *, host: str, port: int, workers: int, refresh: bool, access_log: bool = True,
               cache_mb: int = 256):
    options = {"bind": f"{host}:{port}", "workers": workers, "threads": 4, "worker_class": "gthread",
               "timeout": 60, "accesslog": "-" if access_log else None, "graceful_timeout": 10}
    _Server(options, {"CALFEED_CONFIG": str(config_path), "CALFEED_REFRESH": refresh,
                       "CALFEED_CACHE_MB": cache_mb}).run()


def address_taken(host: str, port: int) -> str:
    """Why gunicorn could not listen on host:port (another service there, an unknown host), or "" if it can;
    gunicorn would retry for five seconds and stop with English messages."""
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
                probe.bind(address)
    except socket.gaierror:
        return "adresse inconnue : vérifiez --host"
    except OSError as exc:
        return _BIND_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return ""


_BIND_ERRORS = {errno.EADDRINUSE: "port déjà utilisé par un autre service : arrêtez-le, ou choisissez un "
                                   "autre --port (make run PORT=5077)",
                errno.EACCES: "port réservé : choisissez un --port au-dessus de 1024",
                errno.EADDRNOTAVAIL: "adresse qui n'est pas celle de cette machine : vérifiez --host"}
