"""What the public disclosure shows (協働の見える化): one rule per kind of record, by the state
that decides it. A project is public from its agreement on; its signed agreement (never a
draft or a superseded one) with its cost sharing; its completion report only once accepted
(受理); the evaluations only once the project is evaluated. For a project over several years
the state is the year's (``Project.year_state``). ``services/disclosure.py`` reads
nothing else."""

from __future__ import annotations

from ..models.project import YEAR_CONTINUED

#: The project's states in which it is disclosed (agreed onwards); a project's year it went
#: on from (継続) was evaluated, and is shown as an evaluated one.
PROJECT_PUBLIC = frozenset({"agreed", "running", "completed", "reported", "evaluated", "closed",
                            YEAR_CONTINUED})

#: Kind -> (the record whose state decides, the states in which the kind is shown).
PUBLIC_WHEN: dict[str, tuple[str, frozenset[str]]] = {
    "project": ("project", PROJECT_PUBLIC),
    "project_plan": ("project", PROJECT_PUBLIC),
    "agreement": ("agreement", frozenset({"signed"})),
    "completion_report": ("project", frozenset({"reported", "evaluated", "closed",
                                                YEAR_CONTINUED})),
    "evaluation": ("project", frozenset({"evaluated", "closed", YEAR_CONTINUED})),
}


def public_states(kind: str) -> frozenset[str]:
    """The states (of the record ``PUBLIC_WHEN`` names) in which ``kind`` is shown."""
    return PUBLIC_WHEN[kind][1]


def is_public(kind: str, state: str) -> bool:
    """Whether a record of ``kind`` is shown when the deciding record is in ``state``."""
    return state in public_states(kind)
