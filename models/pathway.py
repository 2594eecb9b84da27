"""The pathway state machine of one case — a pure rule.

A case is one special disease of one patient. Every move goes through ``check_transition``;
the audit row (from, to, actor, reason, when, causing event) is appended by the caller.
"""

from __future__ import annotations

from models.enums import CaseState as S
from models.enums import Category


class IllegalTransition(Exception):
    """Raised for a move the pathway does not allow; names both states."""

    def __init__(self, from_state: S, to_state: S) -> None:
        super().__init__(f"illegal case transition: {from_state.value} -> {to_state.value}")
        self.from_state = from_state
        self.to_state = to_state


#: Legal moves. ``closed`` is reachable from every live state (death, moved away, ruled out, refused) and is
#: terminal. The loops of real care: a maintenance case (dialysis) and a long-term case (outpatient visits)
#: are admitted again from their outcome state without a new referral; a cured case can relapse (back to
#: ``triaged``, then referred as any triaged case).
TRANSITIONS: dict[S, frozenset[S]] = {
    S.SCREENED: frozenset({S.CONFIRMED, S.CLOSED}),
    S.CONFIRMED: frozenset({S.TRIAGED, S.CLOSED}),
    S.TRIAGED: frozenset({S.REFERRED, S.TRIAGED, S.CLOSED}),
    S.REFERRED: frozenset({S.IN_TREATMENT, S.REFERRED, S.TRIAGED, S.CLOSED}),  # triaged: declined, back to wait
    S.IN_TREATMENT: frozenset({S.DISCHARGED, S.REFERRED, S.CLOSED}),
    S.DISCHARGED: frozenset({S.SETTLED, S.CLOSED}),
    S.SETTLED: frozenset({S.CURED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT, S.CLOSED}),
    S.CURED: frozenset({S.TRIAGED, S.CLOSED}),
    S.UNDER_MAINTENANCE: frozenset({S.IN_TREATMENT, S.REFERRED, S.TRIAGED, S.UNDER_MANAGEMENT, S.CLOSED}),
    S.UNDER_MANAGEMENT: frozenset({S.IN_TREATMENT, S.REFERRED, S.TRIAGED, S.UNDER_MAINTENANCE, S.CLOSED}),
    S.CLOSED: frozenset(),
}

#: Where a case may be admitted from: after a referral, or again while under maintenance / management.
ADMIT_FROM = frozenset({S.REFERRED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT})
#: A relapse re-opens a cured case: it goes back to ``triaged`` (and is referred again).
RELAPSE = (S.CURED, S.TRIAGED)

#: States in which a case counts as "treated" in the treatment ledger (救治台账).
TREATED = frozenset({S.DISCHARGED, S.SETTLED, S.CURED, S.UNDER_MAINTENANCE, S.UNDER_MANAGEMENT})
IN_TREATMENT = frozenset({S.IN_TREATMENT})
#: Confirmed special-disease cases not yet treated ("not yet treated" in the ledger).
NOT_YET_TREATED = frozenset({S.TRIAGED, S.REFERRED})
TERMINAL = frozenset({S.CLOSED})


def is_legal(from_state: S, to_state: S) -> bool:
    return to_state in TRANSITIONS[from_state]


def check_transition(from_state: S, to_state: S) -> None:
    """Raise IllegalTransition unless the move is in the table."""
    if not is_legal(from_state, to_state):
        raise IllegalTransition(from_state, to_state)


def outcome_state(category: str | None) -> S:
    """Where a settled case goes next, by triage category (分类救治)."""
    return {
        Category.ONE_TIME_CURE.value: S.CURED,
        Category.MAINTENANCE.value: S.UNDER_MAINTENANCE,
        Category.LONG_TERM.value: S.UNDER_MANAGEMENT,
    }.get(category or "", S.CLOSED)
