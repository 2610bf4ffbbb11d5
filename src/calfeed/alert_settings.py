"""Who is told when a source fails or is held, and after how long: the `alerts:` section of
`sources.yaml` (its keys are checked by config_schema; the sending is `alerts`)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertSettings:
    after: dt.timedelta = dt.timedelta(minutes=60)  # a problem shorter than this is nobody's business
    email: tuple[str, ...] = ()
    sender: str = "calfeed@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 0  # 0: the port of smtp_tls (25, 587 with starttls, 465 with ssl)
    smtp_tls: str = "none"
    smtp_user: str = ""
    smtp_password_env: str = ""  # the NAME of the environment variable holding the password, never the password
    webhook: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.email or self.webhook)


def read_alerts(section: dict[str, Any]) -> AlertSettings:
    """The `alerts:` section, already checked against SECTIONS["alerts"]; every key is optional."""
    values = {key: value for key, value in section.items() if value not in (None, "")}
    email = values.pop("email", ())
    minutes = values.pop("after_minutes", 60)
    others: dict[str, Any] = {key: value if key == "smtp_port" else str(value) for key, value in values.items()}
    return AlertSettings(after=dt.timedelta(minutes=minutes),
                         email=(email,) if isinstance(email, str) else tuple(str(address) for address in email),
                         **others)
