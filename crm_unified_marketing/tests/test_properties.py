"""Hypothesis properties of the planner's pure decisions: send time and caps."""

from datetime import date, datetime, timedelta

import pytz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_unified_marketing.models.crm_campaign_planner import (
    CrmCampaignPlanner,
    cap_blocking,
)

BASE = datetime(2026, 12, 7)
# Zones with daylight saving on both hemispheres, a 30-minute DST and odd offsets.
ZONES = [
    "Europe/Kyiv",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "UTC",
]
# Daylight-saving changes of 2026 in those zones, and ordinary days.
START_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 6, 15),
    date(2026, 12, 7),
]
WEEKDAY_FIELDS = ("day_mon", "day_tue", "day_wed", "day_thu", "day_fri", "day_sat", "day_sun")

hours = st.integers(min_value=0, max_value=47).map(lambda half: half / 2)


def _windows(accepted, period):
    """Largest number of messages in any rolling window of ``period``."""
    times = sorted(accepted)
    return max(
        (sum(1 for other in times if moment <= other < moment + period) for moment in times),
        default=0,
    )


@tagged("post_install", "-at_install")
class TestPlannerProperties(TransactionCase):
    # ---- Caps (pure) ----

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        candidates=st.lists(st.integers(0, 60 * 24 * 40), min_size=1, max_size=40),
        limit=st.integers(1, 4),
        period_days=st.integers(1, 10),
        existing=st.lists(st.integers(0, 60 * 24 * 40), max_size=5),
    )
    def test_no_customer_receives_more_than_the_cap_over_any_window(
        self, candidates, limit, period_days, existing
    ):
        period = timedelta(days=period_days)
        caps = [("company", limit, period, None)]
        contacts = []
        for minutes in existing[:limit]:
            moment = BASE + timedelta(minutes=minutes)
            if cap_blocking(contacts, moment, caps) is None:
                contacts.append((moment, 1))
        for minutes in candidates:
            moment = BASE + timedelta(minutes=minutes)
            if cap_blocking(contacts, moment, caps) is None:
                contacts.append((moment, 1))
        self.assertLessEqual(_windows([when for when, _ch in contacts], period), limit)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        candidates=st.lists(
            st.tuples(st.integers(0, 60 * 24 * 30), st.sampled_from([1, 2, 3])), max_size=40
        ),
        total=st.integers(0, 5),
        per_channel=st.integers(1, 3),
        campaign_limit=st.integers(0, 3),
    )
    def test_every_cap_holds_at_once(self, candidates, total, per_channel, campaign_limit):
        """Company, channel (SMS = 2 here) and campaign caps hold together."""
        week, fortnight = timedelta(days=7), timedelta(days=14)
        contacts = []
        for minutes, channel in candidates:
            moment = BASE + timedelta(minutes=minutes)
            caps = [
                ("company", total, week, None),
                ("channel", per_channel if channel == 2 else 0, week, 2),
                ("campaign", campaign_limit, fortnight, None),
            ]
            if cap_blocking(contacts, moment, caps) is None:
                contacts.append((moment, channel))
        everything = [when for when, _ch in contacts]
        if total:
            self.assertLessEqual(_windows(everything, week), total)
        if campaign_limit:
            self.assertLessEqual(_windows(everything, fortnight), campaign_limit)
        sms = [when for when, channel in contacts if channel == 2]
        self.assertLessEqual(_windows(sms, week), per_channel)

    # ---- Send time (records built in memory, nothing written) ----

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        tz_name=st.sampled_from(ZONES),
        start_day=st.sampled_from(START_DAYS),
        length=st.integers(0, 20),
        hour_from=hours,
        span=st.integers(1, 48).map(lambda half: half / 2),
        default_hour=hours,
        quiet_start=hours,
        quiet_end=hours,
        weekdays=st.sets(st.integers(0, 6), min_size=1),
        best_slots=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 23)), max_size=4),
        now_offset_hours=st.integers(-48, 72),
    )
    def test_send_time_is_never_quiet_and_inside_the_rule_window(
        self,
        tz_name,
        start_day,
        length,
        hour_from,
        span,
        default_hour,
        quiet_start,
        quiet_end,
        weekdays,
        best_slots,
        now_offset_hours,
    ):
        hour_to = min(hour_from + span, 24.0)
        partner = self.env["res.partner"].new(
            {
                "name": "Someone",
                "tz": tz_name,
                "quiet_hour_start": quiet_start,
                "quiet_hour_end": quiet_end,
            }
        )
        rule = self.env["crm.campaign.rule"].new(
            {
                "name": "Rule",
                "hour_from": hour_from,
                "hour_to": hour_to,
                "default_hour": default_hour,
                **{fname: index in weekdays for index, fname in enumerate(WEEKDAY_FIELDS)},
            }
        )
        campaign = self.env["crm.campaign"].new(
            {
                "name": "Campaign",
                "date_start": start_day,
                "date_end": start_day + timedelta(days=length),
            }
        )
        now = datetime.combine(start_day, datetime.min.time()) + timedelta(hours=now_offset_hours)
        state = {"now": pytz.utc.localize(now), "default_tz": "UTC"}
        planner = self.env["crm.campaign.planner"]
        tz = pytz.timezone(tz_name)
        window_start = tz.localize(datetime.combine(start_day, datetime.min.time()))
        window_end = tz.localize(
            datetime.combine(start_day + timedelta(days=length + 1), datetime.min.time())
        )
        moments = list(planner._iter_send_times(campaign, rule, partner, best_slots, state))
        for moment in moments:
            # what the customer's clock shows when the message arrives
            utc = moment.astimezone(pytz.utc)
            local = utc.astimezone(tz)
            local_hour = local.hour + local.minute / 60
            self.assertFalse(
                CrmCampaignPlanner._is_quiet(partner, local_hour),
                f"{local} is in the quiet hours {quiet_start}-{quiet_end}",
            )
            self.assertTrue(hour_from <= local_hour < hour_to, f"{local} outside the rule hours")
            self.assertIn(local.weekday(), weekdays)
            self.assertGreaterEqual(utc, state["now"], "never in the past")
            self.assertTrue(window_start <= local < window_end, "inside the campaign window")
