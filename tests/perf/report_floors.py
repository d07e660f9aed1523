"""Each report's floor: hand-written SQL doing the report's core work on the same store, run
with sqlite3 and no layers, so the bench can give a report's time as a multiple of it.

The floors run on the demo the bench builds (`--at 2026-10-01T12:00`, America/Chicago): NOW
is that moment as the store writes times (UTC text), TODAY its local date. Each returns
about as many rows as its report. Where a report reads medians and 90th percentiles, its
floor groups the same durations and counts and averages them: ranking every duration for
the percentiles is work the floor leaves out, so those reports sit furthest above it.
"""

from __future__ import annotations

NOW = "'2026-10-01 17:00:00.000000'"
TODAY = "'2026-10-01'"

# A progress's participant is a current member of a cohort carrying its milestone.
_CURRENT = """EXISTS (SELECT 1 FROM memberships ms
  JOIN milestone_cohorts mc ON mc.cohort_id = ms.cohort_id AND mc.milestone_id = p.milestone_id
  WHERE ms.person_id = p.person_id AND ms.left_at IS NULL)"""

# Every cohort with the cohorts above it, then the staff each cohort reaches that way.
_REACH = """lineage(cohort_id, ancestor_id) AS (
  SELECT id, id FROM cohorts
  UNION ALL SELECT l.cohort_id, c.parent_id FROM lineage l JOIN cohorts c ON c.id = l.ancestor_id
  WHERE c.parent_id IS NOT NULL),
reach AS (SELECT DISTINCT l.cohort_id, cs.staff_id FROM lineage l
  JOIN cohort_staff cs ON cs.cohort_id = l.ancestor_id)"""

FLOORS: dict[str, str] = {
    # Current members' progress counted by state, per cohort and milestone: one GROUP BY.
    "activity": """
SELECT ms.cohort_id, p.milestone_id,
  count(CASE WHEN p.state = 'locked' THEN 1 END), count(CASE WHEN p.state = 'open' THEN 1 END),
  count(CASE WHEN p.state = 'started' THEN 1 END),
  count(CASE WHEN p.state = 'submitted' THEN 1 END),
  count(CASE WHEN p.state = 'complete' THEN 1 END),
  count(CASE WHEN p.state = 'denied' THEN 1 END),
  count(CASE WHEN p.state = 'skipped' THEN 1 END), count(*)
FROM memberships ms JOIN progress p ON p.person_id = ms.person_id
JOIN milestone_cohorts mc ON mc.cohort_id = ms.cohort_id AND mc.milestone_id = p.milestone_id
WHERE ms.left_at IS NULL GROUP BY ms.cohort_id, p.milestone_id""",
    # Each stay (a move to the next move of its progress, cut at NOW) grouped by milestone
    # and state: count and mean days.
    "cycle-time": f"""
SELECT p.milestone_id, e.to_state, count(*), avg(julianday(coalesce(
  (SELECT min(min(n.at, {NOW})) FROM progress_events n
   WHERE n.progress_id = e.progress_id AND n.to_state IS NOT NULL
     AND (n.from_state IS NULL OR n.from_state <> n.to_state)
     AND (n.at > e.at OR (n.at = e.at AND n.rowid > e.rowid))), {NOW})) - julianday(e.at))
FROM progress_events e JOIN progress p ON p.id = e.progress_id
WHERE e.to_state IS NOT NULL AND (e.from_state IS NULL OR e.from_state <> e.to_state)
  AND e.to_state NOT IN ('complete', 'skipped') AND e.at < {NOW}
GROUP BY p.milestone_id, e.to_state""",
    # Impacts of the participants waiting on each milestone's approval, summed by stage.
    "impact": f"""
SELECT p.milestone_id, i.key, count(DISTINCT p.person_id),
  sum(CASE WHEN i.stage = 'target' THEN i.value END),
  sum(CASE WHEN i.stage = 'forecast' THEN i.value END),
  sum(CASE WHEN i.stage = 'actual' THEN i.value END)
FROM progress p JOIN person_impacts i ON i.person_id = p.person_id
WHERE p.state = 'submitted' AND {_CURRENT}
GROUP BY p.milestone_id, i.key""",
    # Complete progress, first opening to last completion (each looked up in its own
    # history), per cohort and per staff member reaching it: count and mean days. (Each
    # participant is in one cohort on the demo: no staff member reached twice to sift.)
    "time-in-milestone": f"""
WITH RECURSIVE taken AS (
  SELECT p.id, p.milestone_id, ms.cohort_id,
    julianday((SELECT max(e.at) FROM progress_events e
               WHERE e.progress_id = p.id AND e.to_state = 'complete'))
    - julianday((SELECT min(e.at) FROM progress_events e WHERE e.progress_id = p.id
                 AND e.to_state IN ('open', 'started', 'submitted', 'denied', 'complete')))
    AS days
  FROM progress p JOIN memberships ms ON ms.person_id = p.person_id
  JOIN milestone_cohorts mc ON mc.cohort_id = ms.cohort_id AND mc.milestone_id = p.milestone_id
  WHERE likely(p.state = 'complete')),
{_REACH}
SELECT 'cohort', cohort_id, milestone_id, count(*), avg(days) FROM taken
GROUP BY cohort_id, milestone_id
UNION ALL
SELECT 'staff', r.staff_id, t.milestone_id, count(*), avg(t.days)
FROM taken t JOIN reach r ON r.cohort_id = t.cohort_id GROUP BY r.staff_id, t.milestone_id""",
    # Current members' progress in one state longer than its milestone's escalate_after,
    # longest over first.
    "sla": f"""
SELECT pe.external_id, pe.name, m.key, p.state, p.state_since,
  julianday({NOW}) - julianday(p.state_since) - m.escalate_after_days AS over
FROM progress p JOIN milestones m ON m.id = p.milestone_id JOIN people pe ON pe.id = p.person_id
WHERE m.escalate_after_days IS NOT NULL
  AND p.state IN ('open', 'started', 'denied', 'submitted')
  AND julianday(p.state_since) <= julianday({NOW}) - m.escalate_after_days AND {_CURRENT}
ORDER BY over DESC, pe.name""",
    # Per gate: its participants' progress there counted, and each one's latest review.
    "funnel": f"""
WITH holding AS (
  SELECT p.person_id, m.gate_id, count(*) AS total,
    count(CASE WHEN p.state IN ('complete', 'skipped') THEN 1 END) AS done,
    count(CASE WHEN p.state <> 'locked' THEN 1 END) AS begun
  FROM progress p JOIN milestones m ON m.id = p.milestone_id
  WHERE m.gate_id IS NOT NULL AND {_CURRENT} GROUP BY p.person_id, m.gate_id),
latest AS (
  SELECT person_id, gate_id, decision, row_number() OVER (
    PARTITION BY person_id, gate_id ORDER BY at DESC) AS nth FROM gate_reviews)
SELECT h.gate_id, count(*), count(CASE WHEN h.begun > 0 OR l.decision IS NOT NULL THEN 1 END),
  count(CASE WHEN l.decision = 'go' OR (l.decision IS NULL AND h.done = h.total) THEN 1 END),
  count(CASE WHEN l.decision = 'hold' THEN 1 END)
FROM holding h LEFT JOIN latest l
  ON l.person_id = h.person_id AND l.gate_id = h.gate_id AND l.nth = 1
GROUP BY h.gate_id""",
    # Per cohort: each participant's first assignment to last required milestone done, the
    # finished ones' count and mean days.
    "time-to-complete": """
WITH journeys AS (
  SELECT ms.cohort_id, ms.person_id, min(p.assigned_at) AS first,
    max(p.state_since) AS last,
    count(CASE WHEN p.state NOT IN ('complete', 'skipped') THEN 1 END) AS undone
  FROM (SELECT DISTINCT person_id, cohort_id FROM memberships) ms
  JOIN progress p ON p.person_id = ms.person_id
  JOIN milestone_cohorts mc ON mc.cohort_id = ms.cohort_id AND mc.milestone_id = p.milestone_id
  JOIN milestones m ON m.id = p.milestone_id AND NOT m.is_optional
  GROUP BY ms.cohort_id, ms.person_id)
SELECT cohort_id, count(*), count(CASE WHEN undone = 0 THEN 1 END),
  avg(CASE WHEN undone = 0 THEN julianday(last) - julianday(first) END)
FROM journeys GROUP BY cohort_id""",
    # Current members' undone progress past its due date or open longer than its
    # milestone's expected days allow, by name.
    "at-risk": f"""
SELECT pe.external_id, pe.name, m.key, p.state, p.due_on
FROM progress p JOIN milestones m ON m.id = p.milestone_id JOIN people pe ON pe.id = p.person_id
WHERE p.state NOT IN ('complete', 'skipped')
  AND (p.due_on < {TODAY} OR (p.state <> 'locked' AND m.expected_days IS NOT NULL
       AND julianday(p.opened_at) < julianday({NOW}) - m.expected_days * m.scale_behind))
  AND {_CURRENT}
ORDER BY pe.name, pe.external_id, m.step, m.position, m.key""",
    # Per staff member: their latest operation and history event, and their operations.
    "access": """
SELECT s.email, o.last, e.last, coalesce(o.n, 0) FROM staff s
LEFT JOIN (SELECT lower(actor) AS actor, max(at) AS last, count(*) AS n FROM operations
           GROUP BY lower(actor)) o ON o.actor = lower(s.email)
LEFT JOIN (SELECT lower(actor) AS actor, max(at) AS last FROM progress_events
           GROUP BY lower(actor)) e ON e.actor = lower(s.email)
ORDER BY s.email""",
}
