from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytz import utc

from odoo.tests import TransactionCase, tagged

from ..models.working_time import WorkTimeline

MONDAY = datetime(2026, 3, 2)  # a Monday
WEEKS = 12
EPSILON = 1e-4  # hours (timedelta rounds to the microsecond)

# One day: up to two work periods, in quarter hours (0..96).
period = st.tuples(st.integers(0, 95), st.integers(1, 48))
day_periods = st.lists(period, max_size=2).map(sorted)
# A week with some working time: Monday has at least one period.
week_schedules = st.tuples(
    st.lists(period, min_size=1, max_size=2).map(sorted), *[day_periods] * 6
).map(list)
# Holidays: (day offset, start quarter, length in quarters), up to several days long.
holidays = st.lists(
    st.tuples(st.integers(0, 7 * WEEKS - 1), st.integers(0, 95), st.integers(1, 4 * 96)),
    max_size=6,
)
one_holiday = st.tuples(st.integers(0, 7 * WEEKS - 1), st.integers(0, 95), st.integers(1, 2 * 96))
starts = st.integers(0, 7 * 4 * 96).map(lambda q: MONDAY + timedelta(minutes=15 * q))
hours = st.floats(0, 80, allow_nan=False).map(lambda h: round(h, 2))


def _subtract(intervals, cuts):
    """Intervals minus the cut intervals (all sorted lists of pairs)."""
    result = []
    for begin, end in intervals:
        pieces = [(begin, end)]
        for cut_begin, cut_end in cuts:
            next_pieces = []
            for piece_begin, piece_end in pieces:
                if cut_end <= piece_begin or cut_begin >= piece_end:
                    next_pieces.append((piece_begin, piece_end))
                    continue
                if piece_begin < cut_begin:
                    next_pieces.append((piece_begin, cut_begin))
                if cut_end < piece_end:
                    next_pieces.append((cut_end, piece_end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def _work_intervals(week, holiday_list):
    intervals = []
    for day in range(7 * WEEKS):
        date = MONDAY + timedelta(days=day)
        last_end = date
        for start_q, length_q in week[day % 7]:
            begin = max(date + timedelta(minutes=15 * start_q), last_end)
            end = min(begin + timedelta(minutes=15 * length_q), date + timedelta(days=1))
            if end > begin:
                intervals.append((begin, end))
                last_end = end
    return _subtract(intervals, _holiday_intervals(holiday_list))


def _holiday_intervals(holiday_list):
    cuts = []
    for day, start_q, length_q in holiday_list:
        begin = MONDAY + timedelta(days=day, minutes=15 * start_q)
        cuts.append((begin, begin + timedelta(minutes=15 * length_q)))
    return sorted(cuts)


@tagged("post_install", "-at_install")
class TestWorkingTimeProperties(TransactionCase):
    """Properties of the SLA deadline arithmetic on random weekly calendars,
    holidays and pauses (pure logic of ``working_time.WorkTimeline``)."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(week_schedules, holidays, starts, hours)
    def test_deadline_is_inside_working_time_never_in_a_holiday(self, week, hols, start, target):
        timeline = WorkTimeline(_work_intervals(week, hols))
        deadline = timeline.plan(start, target)
        if deadline is None:
            self.assertLess(timeline.hours_between(start, MONDAY + timedelta(weeks=WEEKS)), target)
            return
        self.assertGreaterEqual(deadline, start)
        self.assertAlmostEqual(timeline.hours_between(start, deadline), target, delta=EPSILON)
        if target > 0:
            self.assertTrue(
                any(begin < deadline <= end for begin, end in timeline.intervals),
                "A deadline ends inside working time",
            )
        for begin, end in _holiday_intervals(hols):
            self.assertFalse(begin < deadline < end, "A deadline never falls inside a holiday")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        week_schedules,
        holidays,
        st.tuples(st.integers(0, 7 * WEEKS - 1), st.integers(0, 95), st.integers(1, 2 * 96)),
        starts,
        hours,
    )
    def test_adding_a_holiday_never_moves_a_deadline_earlier(
        self, week, hols, extra, start, target
    ):
        before = WorkTimeline(_work_intervals(week, hols)).plan(start, target)
        after = WorkTimeline(_work_intervals(week, [*hols, extra])).plan(start, target)
        if before is None:
            self.assertIsNone(after, "Less working time cannot make room")
        elif after is not None:
            self.assertGreaterEqual(after, before)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(week_schedules, holidays, starts, starts, hours, hours)
    def test_deadline_is_monotone_in_start_and_hours(self, week, hols, start_a, start_b, h_a, h_b):
        timeline = WorkTimeline(_work_intervals(week, hols))
        start_a, start_b = sorted((start_a, start_b))
        h_a, h_b = sorted((h_a, h_b))
        first, later_start = timeline.plan(start_a, h_a), timeline.plan(start_b, h_a)
        more_hours = timeline.plan(start_a, h_b)
        if first is not None and later_start is not None:
            self.assertLessEqual(first, later_start)
        if first is not None and more_hours is not None:
            self.assertLessEqual(first, more_hours)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        week_schedules,
        holidays,
        starts,
        st.integers(0, 7 * 96),
        st.integers(1, 7 * 96),
        st.floats(0.25, 40, allow_nan=False),
    )
    def test_deadline_is_never_inside_a_pause(
        self, week, hols, start, pause_offset_q, pause_length_q, target
    ):
        """Clock started at ``start``, paused from ``a`` to ``b``: the line's
        deadline is ``plan(start, target + paused working hours)``. When the
        target was not used up before the pause, it falls after the pause
        ends, at the remaining hours counted from the end of the pause."""
        timeline = WorkTimeline(_work_intervals(week, hols))
        pause_from = start + timedelta(minutes=15 * pause_offset_q)
        pause_to = pause_from + timedelta(minutes=15 * pause_length_q)
        used_before = timeline.hours_between(start, pause_from)
        paused = timeline.hours_between(pause_from, pause_to)
        deadline = timeline.plan(start, target + paused)
        resumed = timeline.plan(pause_to, target - used_before)
        if deadline is None or resumed is None or used_before >= target:
            return
        self.assertGreaterEqual(deadline, pause_to - timedelta(microseconds=1))
        self.assertLessEqual(abs((deadline - resumed).total_seconds()), 1)


@tagged("post_install", "-at_install")
class TestBatchPlanningMatchesStock(TransactionCase):
    """The batch planner agrees with ``resource.calendar.plan_hours`` on a real
    calendar with holidays, across the change to summer time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Brussels (property test)",
                "tz": "Europe/Brussels",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"{day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        },
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in ((8, 12, "morning"), (13, 17, "afternoon"))
                ],
            }
        )
        cls.env["resource.calendar.leaves"].create(
            [
                {
                    "name": "Holiday",
                    "calendar_id": cls.calendar.id,
                    "date_from": datetime(2026, 3, 15, 23, 0),
                    "date_to": datetime(2026, 3, 16, 22, 59, 59),
                },
                {
                    "name": "Afternoon off",
                    "calendar_id": cls.calendar.id,
                    "date_from": datetime(2026, 3, 31, 11, 0),
                    "date_to": datetime(2026, 3, 31, 15, 30),
                },
            ]
        )

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.integers(0, 30 * 96).map(lambda q: datetime(2026, 3, 10) + timedelta(minutes=15 * q)),
        st.floats(0, 60, allow_nan=False).map(lambda h: round(h, 2)),
    )
    def test_batch_plan_equals_plan_hours(self, start, target):
        company = self.env.company
        [ours] = self.env["resource.calendar"]._support_plan(
            [(self.calendar, company, start, target)]
        )
        stock = self.calendar.plan_hours(
            target,
            utc.localize(start),
            compute_leaves=True,
            domain=self.calendar._support_leave_domain(company),
        )
        self.assertEqual(ours, stock.astimezone(utc).replace(tzinfo=None))
