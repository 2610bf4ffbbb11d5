"""Load test (issue « never lose an event »): `calfeed serve` behind gunicorn (2 workers) on loopback,
hammered by wrk while its sources change and are refreshed every second by `calfeed fetch` in
another process, as cron would. A checking client parses every answer it gets.

    python bench/load.py [--seconds 20] [--events 350]

Prints requests served, errors (must be zero), refreshes done, answers parsed and their versions.
"""

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CALFEED, ROOT, LocalServer, env_with_src
from serve import wait_for, wrk


class ChangingSource:
    """Four CSV sources whose titles carry a version number that changes on every request."""

    def __init__(self, events: int):
        self.version = 0
        self.events = events
        self.server = LocalServer(self.answer)
        self.url = self.server.url

    def answer(self, path):
        self.version += 1
        part = int(path.strip("/").split(".")[0][-1])
        rows = "".join(f"s{part}-{n};Atelier {n} version {self.version};{2 + n % 28:02d}/11/2022;10h;12h;labs\n"
                       for n in range(part, self.events, 4))
        return ("id;titre;date_debut;heure_debut;heure_fin;categorie\n" + rows).encode(), "text/csv; charset=utf-8"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--events", type=int, default=350)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    source = ChangingSource(args.events)
    with tempfile.TemporaryDirectory(prefix="calfeed-load-") as tmp_name:
        tmp = Path(tmp_name)
        document = yaml.safe_load((ROOT / "sources.yaml").read_text(encoding="utf-8"))
        document["sources"] = [{"id": f"part{n}", "type": "csv", "url": f"{source.url}/part{n}.csv"} for n in range(4)]
        document["store"] = {"path": "store.sqlite"}
        config = tmp / "sources.yaml"
        config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([*CALFEED, "serve", "--config", str(config), "--workers", "2", "--port", str(port),
                                   "--no-refresh", "--quiet"], env=env_with_src(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/feeds/tous.ics"
        stop = threading.Event()
        refreshes, fetch_failures = [0], [0]
        checked, problems, versions = [0], [], set()

        def refresher():
            while not stop.is_set():
                result = subprocess.run([*CALFEED, "fetch", "--config", str(config)], env=env_with_src(),
                                        capture_output=True, check=False)
                refreshes[0] += 1
                fetch_failures[0] += result.returncode != 0
                time.sleep(1)

        def checker():
            session = requests.Session()
            while not stop.is_set():
                body = session.get(url, timeout=10).content
                found = set(re.findall(rb"version (\d+)", body))
                count = body.count(b"BEGIN:VEVENT\r\n")
                if count != args.events or not body.endswith(b"END:VCALENDAR\r\n") or len(found) > 4:
                    problems.append(f"{count} événements, versions {sorted(found)[:5]}")
                versions.update(found)
                checked[0] += 1

        try:
            wait_for(url)
            threads = [threading.Thread(target=refresher), threading.Thread(target=checker)]
            for thread in threads:
                thread.start()
            rate, errors, _ = wrk(url, args.seconds, args.connections)
            stop.set()
            for thread in threads:
                thread.join(60)
        finally:
            stop.set()
            server.terminate()
            server.wait(10)
    print(f"calfeed serve (gunicorn, 2 processus) sous wrk -t2 -c{args.connections} pendant {args.seconds} s, "
          f"programme de {args.events} événements en 4 sources HTTP qui changent à chaque lecture.")
    print(f"- requêtes servies : {rate * args.seconds:.0f} ({rate:.0f} par seconde)")
    print(f"- erreurs wrk (réponses hors 2xx/3xx, erreurs de connexion) : {errors or 'aucune'}")
    print(f"- actualisations « calfeed fetch » pendant la charge : {refreshes[0]} (échecs : {fetch_failures[0]})")
    print(f"- réponses lues et vérifiées par le client de contrôle : {checked[0]}, incomplètes ou mêlées : "
          f"{len(problems)}, versions du programme vues : {len(versions)}")
    if problems:
        print("  " + "\n  ".join(problems[:5]))


if __name__ == "__main__":
    main()
