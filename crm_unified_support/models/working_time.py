"""Working-time arithmetic on lists of work intervals (pure functions).

The support addon fetches the work intervals of a calendar once for a whole
batch (``resource.calendar._work_intervals_batch``, holidays removed) and then
answers every "deadline after N working hours" and "working hours between two
moments" question of the batch with these helpers, without a query per line.

Intervals are ``(begin, end)`` pairs of aware or naive datetimes (all of the
same kind), sorted and not overlapping, as ``resource`` returns them.
"""

from bisect import bisect_right
from datetime import timedelta


class WorkTimeline:
    """Sorted work intervals with cumulative working hours, for fast lookups.

    :param intervals: iterable of ``(begin, end)`` pairs (sorted, disjoint)
    """

    def __init__(self, intervals):
        self.intervals = [(begin, end) for begin, end in intervals if end > begin]
        self.ends = [end for _begin, end in self.intervals]
        self.cumulative = []  # working hours before each interval starts
        total = 0.0
        for begin, end in self.intervals:
            self.cumulative.append(total)
            total += (end - begin).total_seconds() / 3600
        self.total = total

    def hours_before(self, moment):
        """Working hours of the timeline before ``moment`` (float hours)."""
        index = bisect_right(self.ends, moment)
        if index >= len(self.intervals):
            return self.total
        begin, _end = self.intervals[index]
        hours = self.cumulative[index]
        if moment > begin:
            hours += (moment - begin).total_seconds() / 3600
        return hours

    def hours_between(self, start, stop):
        """Working hours between ``start`` and ``stop`` (0 when stop <= start)."""
        if stop <= start:
            return 0.0
        return max(self.hours_before(stop) - self.hours_before(start), 0.0)

    def plan(self, start, hours):
        """Moment when ``hours`` working hours have passed since ``start``.

        Same rule as ``resource.calendar.plan_hours``: the result is inside a
        work interval, or at its end when the hours end exactly there; 0 hours
        gives the first working moment at or after ``start``.

        :return: datetime, or None when the timeline ends too early
        """
        hours = max(hours, 0.0)
        index = bisect_right(self.ends, start)
        for begin, end in self.intervals[index:]:
            begin = max(begin, start)
            available = (end - begin).total_seconds() / 3600
            if hours <= available:
                return begin + timedelta(hours=hours)
            hours -= available
        return None
