"""The only functions that change appeals, in these modules:

- `intake`: `appeal_submit()`, one service for every channel (validation, idempotency, repeats, the first
  dispatch by the routing rules);
- `lifecycle`: every transition of an appeal after it is in (dispatch, respond, resolve, rate, return,
  transfer, answer on the spot), and the rights they check (`may_act`, `may_rate`, `actions_for`);
- `escalation`: the watched deadlines of open appeals (reminders, escalation, overdue) on the core deadline
  engine;
- `reveal`: the caller's full phone for those who must reach them (`appeal_caller_reveal`, recorded);
- `catalogue`: the categories and their rules (`category_create`, `category_update`);
- `reveal`: the caller's full phone for those who must reach them (`appeal_caller_reveal`, recorded);
- `notify`: who is told of what on each transition (called by intake and lifecycle in their transactions).

`minhu.appeals.routing` only *chooses* (where an appeal belongs, who answers it); these modules write.
Everything public is importable from `minhu.appeals.services`.
"""

from __future__ import annotations

from minhu.appeals.services.catalogue import CATEGORY_FIELDS, category_create, category_update
from minhu.appeals.services.intake import (
    IntakeData,
    IntakeResult,
    appeal_submit,
    find_repeat,
    validate_intake,
    validate_phone,
)
from minhu.appeals.services.lifecycle import (
    ACTIONS,
    DISPATCH_ROLES,
    OPEN_STATES,
    Conflict,
    InvalidTransition,
    NotAllowed,
    actions_for,
    appeal_answer_on_spot,
    appeal_dispatch,
    appeal_dispatch_routed,
    appeal_rate,
    appeal_resolve,
    appeal_resolve_shared,
    appeal_respond,
    appeal_return,
    appeal_start,
    appeal_transfer,
    appeals_export_callers,
    deadlines_for,
    may_act,
    may_dispatch,
    may_rate,
)
from minhu.appeals.services.reveal import appeal_caller_reveal, may_reveal_caller

__all__ = [
    "ACTIONS",
    "CATEGORY_FIELDS",
    "DISPATCH_ROLES",
    "OPEN_STATES",
    "Conflict",
    "IntakeData",
    "IntakeResult",
    "InvalidTransition",
    "NotAllowed",
    "actions_for",
    "appeal_answer_on_spot",
    "appeal_caller_reveal",
    "appeal_dispatch",
    "appeal_dispatch_routed",
    "appeal_rate",
    "appeal_resolve",
    "appeal_resolve_shared",
    "appeal_respond",
    "appeal_return",
    "appeal_start",
    "appeal_submit",
    "appeal_transfer",
    "appeals_export_callers",
    "category_create",
    "category_update",
    "deadlines_for",
    "find_repeat",
    "may_act",
    "may_dispatch",
    "may_rate",
    "may_reveal_caller",
    "validate_intake",
    "validate_phone",
]
