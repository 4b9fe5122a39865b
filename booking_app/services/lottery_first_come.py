"""先着順の受付 after the draw (issue 18): a lottery room's month is the lottery's until its first-come day.

``bookings.slot_problems`` asks :func:`first_come_refusal` for every slot it checks, and ``create_booking``
keeps a refused slot off its plain-SQL save (booking_fast_save knows no lottery), so the ORM path gives the
desk the rule's Japanese message (``domain.lottery_rules.check_first_come``) as a 規則 problem, which a
manager may override with a written reason like any other rule. The draw's own 仮予約 never pass through
here (``services.lottery`` writes them in bulk), and an edit of one of them that keeps its room and slot is
exempt too (its confirmation, attendees, note...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from booking_app.domain import lottery_rules as lr
from booking_app.domain.errors import RuleError
from booking_app.domain.profile import CentreProfile, load_default_profile
from booking_app.services.centre import PROFILE_KEY
from booking_app.store.models import CentreSetting, LotteryWish, Room

# The lottery rules parsed from the stored profile's JSON text (the key): parsing the whole profile costs
# more than a plain save, and the text changes only when a manager saves the settings.
_rules_by_text: dict[str | None, lr.LotteryRules] = {}


def stored_rules(session: Session) -> lr.LotteryRules:
    """The centre's lottery rules, as ``get_profile(session).lottery`` but parsed once per stored text."""
    text = session.scalar(select(cast(CentreSetting.value, Text)).where(CentreSetting.key == PROFILE_KEY))
    rules = _rules_by_text.get(text)
    if rules is None:
        if len(_rules_by_text) > 8:
            _rules_by_text.clear()
        profile = load_default_profile() if text is None else CentreProfile.from_dict(json.loads(text))
        rules = _rules_by_text[text] = lr.lottery_rules(profile)
    return rules


def first_come_refusal(session: Session, rules: lr.LotteryRules | None, data: Any, today: Any,
                       exclude_ids: Iterable[int] = ()) -> str | None:
    """The desk's message when ``data`` (a BookingInput) books a lottery room in a month still held for its
    lottery, else None. ``rules``: the centre's lottery rules (None: read from the profile); ``exclude_ids``:
    the booking being edited, exempt when the draw made it for this very room and slot."""
    if data.room_id is None or lr.month_start(data.start.date()) <= lr.month_start(today):
        # This month and the months before are always open: the first-come day lies in the entry month,
        # at least one month (months_ahead ≥ 1) before the month of use. Saves the profile's read.
        return None
    if rules is None:
        rules = stored_rules(session)
    room = session.get(Room, data.room_id)
    if room is None or not lr.is_lottery_room(rules, room.name):
        return None
    try:
        lr.check_first_come(rules, room.name, data.start.date(), today)
    except RuleError as exc:
        ids = list(exclude_ids)
        if ids and session.scalar(select(LotteryWish.id).where(
                LotteryWish.booking_id.in_(ids), LotteryWish.room_id == data.room_id,
                LotteryWish.start_at == data.start, LotteryWish.end_at == data.end).limit(1)) is not None:
            return None  # the draw's own 仮予約, its slot unchanged
        return exc.message + "。"
    return None
