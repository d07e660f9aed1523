"""The scheduler: what `tick` does once, as of a moment (reminders, staff alerts, digests,
campaigns). Importing the package registers its scans and the Tick handler."""

from app.services.scheduler import alerts, campaigns, digests, reminders, tick  # noqa: F401
