"""Participants, their memberships and their simulated progress, generated and written in
rounds of a few thousand so that memory stays flat however large the data set."""

from __future__ import annotations

import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date

from app.services.demo.bulk import Batch, Loader, loading, statements
from app.services.demo.consequences import Consequences, Person, completions, pipeline_status
from app.services.demo.histories import Journey, Track, Walker
from app.services.demo.ids import Ids
from app.services.demo.names import FIRST, LAST
from app.services.demo.plans import Layout, Leaf, PlanMilestone
from app.services.demo.profiles import Outcome, Profile
from app.services.demo.sizes import CHUNK
from app.services.demo.timeline import DAY, HOUR, Calendar, day_number
from app.services.rules.due import attribute_date

EXTENSION_SHARE = 0.03  # open or started progress whose due date staff extended


@dataclass(frozen=True)
class Setting:
    """What every participant is generated against."""

    seed: int
    op_id: uuid.UUID
    now: int
    calendar: Calendar
    campaigns: dict[str, str]
    templates: dict[str, tuple[str, str]]


class Population:
    def __init__(self, connection: sqlite3.Connection, setting: Setting) -> None:
        self.connection = connection
        self.setting = setting
        self.rng = random.Random(setting.seed)
        self.ids = {table: Ids(setting.seed, table) for table in (
            "people", "memberships", "progress", "events", "campaign_runs", "outbox", "alerts")}
        self.sql = statements(self.ids, setting.op_id.hex)
        self.calendar = setting.calendar
        self.today = self.calendar.local_day(setting.now)
        self.consequences = Consequences(setting.op_id, setting.campaigns, setting.templates,
                                         self.ids)
        self.emails: dict[str, int] = {}

    def run(self, layouts: list[Layout], participants: int) -> dict[str, int]:
        """Each program gets its share of the participants, the last one the remainder."""
        left = participants
        with loading(self.connection, self.sql) as loader:
            for number, layout in enumerate(layouts, start=1):
                share = round(participants * layout.profile.share)
                count = left if number == len(layouts) else share
                left -= count
                self._program(layout, count, loader)
        return loader.totals

    def _program(self, layout: Layout, count: int, loader: Loader) -> None:
        if not layout.leaves:
            return
        walker = Walker(self.rng, self.setting.now, layout.profile.denials)
        batch = Batch()
        for n in range(count):
            self._person(layout, walker, n, batch)
            if len(batch.people) >= CHUNK:
                loader.write(batch)
        loader.write(batch)

    def _person(self, layout: Layout, walker: Walker, n: int, batch: Batch) -> None:
        rng, profile, calendar = self.rng, layout.profile, self.calendar
        leaf = rng.choice(layout.leaves)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        external_id = profile.external_id(n)
        email = profile.email(first, last, self.emails, rng)
        location, attributes = profile.details(rng)
        if leaf.term in profile.term_starts:
            attributes["start_date"] = profile.term_starts[leaf.term]
        joined = self._joined(profile, leaf)
        journey = walker.journey(leaf.milestones, joined, attributes, external_id,
                                 layout.enroller)
        done = {m.key: t.completed for m, t in zip(leaf.milestones, journey.tracks, strict=True)
                if t.completed is not None}
        extra, impacts = profile.outcome(rng, Outcome(done, calendar.local_day, self.today))
        attributes.update(extra)
        completed = completions(journey)
        status, failed = pipeline_status(profile, leaf, journey, completed)
        person = Person(self.ids["people"].next(), external_id, f"{first} {last}", email,
                        location, status)
        created = joined - rng.randint(5 * 60, 2 * DAY)
        batch.people.append((person.id, external_id, person.name, email, location,
                             person.status, created))
        batch.attributes.extend((person.id, k, v) for k, v in attributes.items())
        batch.impacts.extend((person.id, key, stage, value) for key, stage, value in impacts)
        batch.memberships.append((self.ids["memberships"].next(), person.id, leaf.id, joined))
        progress_ids, dues = self._progress(batch, person.id, leaf, journey, joined, attributes)
        self.consequences.add(batch, person, leaf, journey, completed, failed, progress_ids,
                              dues)

    def _joined(self, profile: Profile, leaf: Leaf) -> int:
        """Some days before the term starts (before now, for a rolling intake), never in the
        future; a term too far ahead takes the last two months."""
        now = self.setting.now
        start = profile.term_starts.get(leaf.term)
        anchor = now if start is None else day_number(date.fromisoformat(start)) * DAY + 15 * HOUR
        early, late = profile.join_before_start
        latest = min(anchor - early * DAY, now - HOUR)
        earliest = anchor - late * DAY
        if earliest >= latest:
            earliest = latest - 60 * DAY
        return self.rng.randint(earliest, latest)

    def _progress(self, batch: Batch, person_id: int, leaf: Leaf, journey: Journey,
                  joined: int, attributes: dict[str, str]) -> tuple[list[int], list[int | None]]:
        """The progress rows and their histories; a million times over on the large set, so
        the common cases (no due rule, or days after assignment) are written out here."""
        rng, iso_day = self.rng, self.calendar.iso_day
        assigned_on = self.calendar.local_day(joined)
        new_progress, new_event = self.ids["progress"].next, self.ids["events"].next
        progress, events, checks = batch.progress.append, batch.events, batch.checks
        ids, dues = [], []
        for m, track in zip(leaf.milestones, journey.tracks, strict=True):
            progress_id = new_progress()
            kind, state = m.due_kind, track.state
            if kind is None:
                due = None
            elif kind == "after_assignment":
                due = assigned_on + m.due_days
            else:
                due = self._due(m, assigned_on, track.started, attributes)
            due_on = extended_until = ""
            if due is not None:
                if (state == "open" or state == "started") and rng.random() < EXTENSION_SHARE:
                    due = due + rng.randint(3, 21)
                    self._extend(track, m.closer, due)
                    extended_until = iso_day(due)
                due_on = iso_day(due)
            history = track.events
            progress((
                progress_id, person_id, m.id, state, joined, track.opened or 0,
                track.started or 0, track.submitted or 0, track.completed or 0, track.since,
                due_on, extended_until, int(track.acted), track.note, len(history),
            ))
            events += [(new_event(), progress_id) + event for event in history]
            if track.ticks:
                checks += [(progress_id, *tick) for tick in track.ticks]
            ids.append(progress_id)
            dues.append(due)
        return ids, dues

    def _extend(self, track: Track, by: str, until: int) -> None:
        last = track.events[-1][3]
        at = last + int((self.setting.now - last) * self.rng.random())
        track.events.append(("DueExtended", track.state, track.state, at, by,
                             f"until {self.calendar.iso_day(until)}"))

    def _due(self, m: PlanMilestone, assigned_on: int, started: int | None,
             attributes: dict[str, str]) -> int | None:
        """The milestone's due rule, as rules.due.due_from computes it, in day numbers."""
        kind = m.due_kind
        if kind == "date":
            return m.due_day
        if kind == "after_start":
            return None if started is None else self.calendar.local_day(started) + m.due_days
        if kind == "after_assignment":
            return assigned_on + m.due_days
        if kind == "attribute":
            base = attribute_date(attributes.get(m.due_attribute or ""))
            return None if base is None else day_number(base) + m.due_days
        return None
