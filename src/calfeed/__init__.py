"""calfeed: aggregate event sources and publish iCalendar feeds."""

__version__ = "0.1.0"
