"""One participant's simulated journey: what the rules and the people acting would have done
to each of their progress rows, from joining until now.

The walk follows the rules rather than painting states on: a milestone opens only when all
of its parents are complete or skipped, a conditional skip happens at assignment, a manual
start waits for staff, children of a reopened milestone are never affected (only milestones
nobody depends on regress), and every state change leaves the history event its command
writes. Participants work at their own pace, a few stall, and what has not finished by now
is left open, started or submitted, so boards show work past due, behind and stuck.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from math import exp

from app.services.demo.plans import PlanMilestone
from app.services.demo.timeline import DAY, HOUR
from app.services.rules.lifecycle import skip_reason

STALL_SHARE = 0.15  # participants who stop somewhere along the way
REGRESSION_SHARE = 0.03  # completed milestones nobody depends on that are reopened
REOPENABLE = ("self", "staff", "attendance", "registration", "signatures")
# How often someone presses "start" before finishing, by route; steps start on the first tick
# and the other routes complete straight from open (an attendance, a registration).
START_SHARES = {"self": 0.3, "staff": 0.15, "request": 0.5}
DENIAL = (0.04, False)  # a request sent back, then resubmitted
REOPEN_NOTES = ("Document was unreadable; please resubmit.", "Completed by mistake.",
                "Wrong term selected; redo it.")
APPROVE_NOTES = ("Looks good.", "Approved.", "All documents in order.", "Approved; nice work.")
DENY_NOTES = ("Missing information; please revise.", "Not approved at this time.",
              "Please add the supporting documents.")

# kind, from, to, at, actor, note; "" for no state or note: the writer stores NULL (sqlite3
# binds None through its slow adaptation path, which the large data set would notice)
Event = tuple[str, str, str, int, str, str]


@dataclass(slots=True)
class Track:
    """What happened to one progress; times in seconds."""

    state: str
    events: list[Event]
    since: int  # the last change of state
    opened: int | None = None
    started: int | None = None
    submitted: int | None = None
    completed: int | None = None
    acted: bool = False
    note: str = ""
    done: int | None = None  # complete or skipped since then: children may open
    done_by: str = ""
    ticks: list[tuple[str, int, str]] = field(default_factory=list)  # step id, at, actor
    regressed: int | None = None

    def move(self, kind: str, after: str, at: int, actor: str, note: str = "") -> None:
        self.events.append((kind, self.state, after, at, actor, note))
        self.state = after
        self.since = at
        if note:
            self.note = note


@dataclass(frozen=True)
class Journey:
    tracks: list[Track]
    rejected: bool


class Walker:
    def __init__(self, rng: random.Random, now: int,
                 denials: dict[str, tuple[float, bool]]) -> None:
        self.rng = rng
        self.now = now
        self.denials = denials
        # The participant being walked: their pace, when they stop (now, unless they stall),
        # their id as an actor, and whether a final decision turned them down.
        self.pace = 1.0
        self.limit = now
        self.who = ""
        self.rejected = False

    def journey(self, plan: tuple[PlanMilestone, ...], joined: int, attributes: dict[str, str],
                who: str, enroller: str) -> Journey:
        rng = self.rng
        self.pace = min(4.0, max(0.35, exp(rng.gauss(0.0, 0.5))))
        self.limit = self.now
        if rng.random() < STALL_SHARE:
            self.limit = joined + int((self.now - joined) * rng.uniform(0.1, 1.0))
        self.who = who
        self.rejected = False
        cursor = joined + int(HOUR * rng.uniform(1, 72))
        tracks: list[Track] = []
        for m in plan:
            track, begin = self._arrive(m, tracks, joined, attributes, enroller)
            tracks.append(track)
            if begin is None:
                continue
            begin = max(begin, cursor)
            took = max(HOUR, int(m.expected * self.pace * exp(rng.gauss(-0.1, 0.35))))
            self._work(m, track, begin, took)
            self._maybe_regress(m, track, took)
            cursor = begin + int(took * rng.uniform(0.3, 0.8))
        return Journey(tracks, self.rejected)

    def _arrive(self, m: PlanMilestone, tracks: list[Track], assigned: int,
                attributes: dict[str, str], enroller: str) -> tuple[Track, int | None]:
        """The progress as assignment and its parents leave it; and when work on it can
        begin (None: it stays locked, or was skipped)."""
        reason = skip_reason(m.row, attributes) if m.skippable else None
        if reason:
            track = Track("skipped", [("ProgressAssigned", "", "skipped", assigned, enroller,
                                       reason)], assigned, note=reason, done=assigned,
                          done_by=enroller)
            return track, None
        ready, by = assigned, enroller
        for p in m.parents:
            parent = tracks[p]
            if parent.done is None:
                ready = None
                break
            if parent.done > ready:
                ready, by = parent.done, parent.done_by
        opens = ready is not None and not m.unreachable and not m.manual
        track = Track("locked", [], assigned)
        if opens and ready == assigned:
            track.events.append(("ProgressAssigned", "", "open", assigned, enroller, ""))
            track.state, track.opened = "open", assigned
            return track, assigned
        track.events.append(("ProgressAssigned", "", "locked", assigned, enroller, ""))
        if ready is None or m.unreachable:
            return track, None
        if m.manual:
            start = ready + int(DAY * self.rng.uniform(0.5, 6) * self.pace)
            if start > self.limit or self.rejected:
                return track, None
            track.move("ProgressStarted", "started", start, m.closer)
            track.opened = track.started = start
            track.acted = True
            return track, start
        track.move("ProgressOpened", "open", ready, by)
        track.opened = ready
        return track, ready

    def _work(self, m: PlanMilestone, track: Track, begin: int, took: int) -> None:
        if self.rejected:
            return
        rng, limit = self.rng, self.limit
        start = begin + int(took * rng.uniform(0.0, 0.3))
        end = begin + took
        if m.route == "steps":
            self._steps(m, track, start, end)
            return
        starts = START_SHARES.get(m.route, 0.0)
        if m.due_kind == "after_start" and starts:
            starts = 1.0  # its due date counts from the start: nobody finishes it unstarted
        if track.state == "open" and start <= limit and rng.random() < starts:
            self._start(track, start)
        if m.route == "request":
            self._request(m, track, begin + int(took * rng.uniform(0.6, 1.0)))
        elif end <= limit and not m.terminal:
            self._complete(track, end, self.who if m.route == "self" else m.closer)

    def _start(self, track: Track, at: int) -> None:
        track.move("ProgressStarted", "started", at, self.who)
        track.started = at
        track.acted = True

    def _complete(self, track: Track, at: int, actor: str, kind: str = "ProgressCompleted",
                  note: str = "") -> None:
        track.move(kind, "complete", at, actor, note)
        track.completed = track.done = at
        track.done_by = actor
        track.acted = True

    def _steps(self, m: PlanMilestone, track: Track, start: int, end: int) -> None:
        """Required steps spread over the work, the last one at its end; optional ones now
        and then before it. The first tick starts the progress, the last required completes
        it, as ticking does."""
        rng = self.rng
        required = [s for s in m.steps if s.required]
        times = sorted(rng.randint(start, end) for _ in range(len(required) - 1)) + [end]
        ticks = list(zip(times, required, strict=True))
        ticks += [(rng.randint(start, max(start, end - 1)), s) for s in m.steps
                  if not s.required and rng.random() < 0.4]
        ticks.sort(key=lambda tick: tick[0])
        left = len(required)
        for at, step in ticks:
            if at > self.limit or track.state == "complete":
                return
            track.events.append(("StepTicked", track.state, track.state, at, self.who,
                                 step.title))
            track.ticks.append((step.id, at, self.who))
            track.acted = True
            if track.state == "open":
                self._start(track, at)
            if step.required:
                left -= 1
                if left == 0 and not m.terminal:
                    self._complete(track, at, self.who, note="every required step is done")

    def _request(self, m: PlanMilestone, track: Track, submit: int) -> None:
        """Submitted by the participant, then approved, or denied (and perhaps resubmitted,
        or for a final decision, the end of the participant's journey)."""
        rng, limit = self.rng, self.limit
        rate, final = self.denials.get(m.key, DENIAL)
        while submit <= limit:
            track.move("ProgressSubmitted", "submitted", submit, self.who)
            track.submitted = submit
            track.acted = True
            decided = submit + int(DAY * rng.uniform(0.2, 4.0) * self.pace)
            if decided > limit or m.terminal:
                return
            if rng.random() >= rate:
                self._complete(track, decided, m.closer, "ProgressApproved",
                               rng.choice(APPROVE_NOTES))
                return
            track.move("ProgressDenied", "denied", decided, m.closer, rng.choice(DENY_NOTES))
            if final:
                self.rejected = True
                return
            submit = decided + int(DAY * rng.uniform(1, 10) * self.pace)

    def _maybe_regress(self, m: PlanMilestone, track: Track, took: int) -> None:
        """Reopen a completed milestone no other milestone depends on; it is done again
        later, or still open now."""
        rng = self.rng
        if (track.state != "complete" or m.has_children or m.route not in REOPENABLE
                or rng.random() >= REGRESSION_SHARE):
            return
        assert track.completed is not None
        at = track.completed + int(DAY * rng.uniform(1, 20))
        if at > self.limit:
            return
        track.move("ProgressReopened", "open", at, m.closer, rng.choice(REOPEN_NOTES))
        track.opened, track.completed, track.done, track.regressed = at, None, None, at
        again = at + int(took * rng.uniform(0.2, 0.8))
        if again <= self.limit:
            self._complete(track, again, self.who if m.route == "self" else m.closer)
