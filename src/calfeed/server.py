"""Run the web app under gunicorn: the production server, also behind `calfeed serve`."""

import datetime as dt
import errno
import html
import logging
import socket

import gunicorn.util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .web import create_app, start


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
        app = create_app(self.app_config)
        start(app)  # in each worker, before its first request: the store, the local sources, the background reads
        return app


# One line per request, in French and without the client's address (no personal data in the logs):
# « 06/12/2026 21:05:33 GET /feeds/tous.ics HTTP/1.1 → 200, 48213 octets, 3 ms, Microsoft Outlook 16.0 ».
ACCESS_FORMAT = "%(t)s %(r)s → %(s)s, %(B)s octets, %(M)s ms, %(a)s"

# gunicorn's own messages, said in French: their English start → the French text (same % arguments).
MESSAGES = (("Starting gunicorn", "Démarrage de gunicorn %s"), ("Listening at", "À l'écoute sur %s (%s)"),
            ("Using worker", "Processus de type %s"), ("Booting worker", "Démarrage du processus %s"),
            ("Handling signal", "Signal reçu : %s"), ("Shutting down", "Arrêt : %s"),
            ("Worker exiting", "Fin du processus %s"), ("Worker timeout", "Processus %s trop lent : relancé"))


REFUSALS = (("Request Line is too large", "adresse trop longue (réponse 414)"),
            ("limit request headers", "en-têtes trop longs (réponse 431)"),
            ("Invalid HTTP Version", "version HTTP inconnue"), ("Invalid Method", "méthode HTTP invalide"))


LEVELS = {"DEBUG": "détail", "INFO": "info", "WARNING": "attention", "ERROR": "erreur", "CRITICAL": "critique"}


class FrenchFormatter(logging.Formatter):
    """A line of the service's log: « 06/12/2026 21:05:33 [4242] [erreur] source « x » : … », then any traceback."""

    def __init__(self):
        super().__init__("%(asctime)s [%(process)d] [%(niveau)s] %(message)s", "%d/%m/%Y %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.niveau = LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


class FrenchLogger(Logger):
    """gunicorn's log in French: request times as « 06/12/2026 21:05:33 », its messages translated; calfeed's
    own log (logger `calfeed`: each source's failure, a bug's traceback, the store's problems) written with it."""

    def setup(self, cfg):
        super().setup(cfg)
        team = logging.getLogger("calfeed")
        for handler in self.error_log.handlers:
            handler.setFormatter(FrenchFormatter())
            if handler not in team.handlers:
                team.addHandler(handler)
        team.setLevel(self.error_log.level)
        team.propagate = False  # once, here: not again through the root logger

    def now(self):
        return dt.datetime.now().strftime("%d/%m/%Y %H:%M:%S")

    def info(self, msg, *args, **kwargs):
        super().info(_french(msg, args), *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith("Invalid request from ip="):  # the address is personal data
            detail = msg.partition(": ")[2]
            msg = "Requête refusée : " + next((french for english, french in REFUSALS if english in detail), detail)
        super().warning(_french(msg, args), *args, **kwargs)

    def critical(self, msg, *args, **kwargs):
        super().critical(_french(msg, args), *args, **kwargs)


def _french(msg, args):
    if not isinstance(msg, str):
        return msg
    return next((french for english, french in MESSAGES if msg.startswith(english) and french.count("%s") == len(args)),
                msg)


# The pages gunicorn answers itself, before calfeed sees the request (too long an address or headers).
ERROR_PAGES = {
    414: ("Adresse trop longue", "Cette adresse dépasse la longueur admise. Pour un agenda qui combine beaucoup de "
                                 "critères, composez-le sur la page « Composer mon agenda »."),
    431: ("En-têtes trop longs", "Les en-têtes de la requête dépassent la taille admise : effacez les cookies de ce "
                                 "site dans votre navigateur, puis réessayez."),
    400: ("Requête invalide", "Le serveur n'a pas compris cette requête."),
    403: ("Accès refusé", "Cette requête n'est pas admise."),
}


def write_french_error(sock, status_int, reason, _mesg):
    """gunicorn's util.write_error, with a French page (its own is in English and shows parser internals)."""
    title, text = ERROR_PAGES.get(status_int, ("Erreur du serveur", "Le serveur n'a pas pu répondre à cette requête."))
    page = (f'<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            f'<p><a href="/">Retour à la page des agendas</a></p></body></html>\n').encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(page)}\r\n\r\n").encode("latin-1")
    gunicorn.util.write_nonblock(sock, head + page)


def run_server(config_path, *, host: str, port: int, workers: int, refresh: bool, access_log: bool = True,
               cache_mb: int = 256):
    options = {"bind": f"{host}:{port}", "workers": workers, "threads": 4, "worker_class": "gthread",
               "timeout": 60, "accesslog": "-" if access_log else None, "graceful_timeout": 10,
               "access_log_format": ACCESS_FORMAT, "logger_class": FrenchLogger}
    # gunicorn writes its own error pages through this one function, called by every worker class.
    gunicorn.util.write_error = write_french_error
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
