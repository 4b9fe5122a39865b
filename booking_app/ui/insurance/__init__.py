"""保険: plans, enrolments, the roster and accident reports."""
