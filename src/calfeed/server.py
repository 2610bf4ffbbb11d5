"""Run the web app under gunicorn: the production server, also behind `calfeed serve`."""

from gunicorn.app.base import BaseApplication

from .web import create_app


class _Server(BaseApplication):
    def __init__(self, options: dict, app_config: dict):
        self.options, self.app_config = options, app_config
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.app_config)


def run_server(config_path, *, host: str, port: int, workers: int, refresh: bool, access_log: bool = True,
               cache_mb: int = 256):
    options = {"bind": f"{host}:{port}", "workers": workers, "threads": 4, "worker_class": "gthread",
               "timeout": 60, "accesslog": "-" if access_log else None, "graceful_timeout": 10}
    _Server(options, {"CALFEED_CONFIG": str(config_path), "CALFEED_REFRESH": refresh,
                       "CALFEED_CACHE_MB": cache_mb}).run()
