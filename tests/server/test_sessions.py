"""Admission: a new caption session is refused, with the load, when the limit is reached or when
the running sessions fall behind real time; a session that leaves frees its place."""

from __future__ import annotations

from dataclasses import dataclass

from openhear.server.sessions import CaptionLoad


@dataclass(eq=False)
class Running:
    backlog_s: float = 0.0
    busy_fraction: float = 0.0


def test_sessions_are_admitted_up_to_the_limit():
    load = CaptionLoad(limit=2, max_backlog_s=3.0, cores=2)
    first, second = Running(), Running()
    assert load.admit(first) is None and load.admit(second) is None
    refusal = load.admit(Running())
    assert refusal["type"] == "busy" and refusal["active"] == 2 and refusal["limit"] == 2
    assert "all 2 caption sessions are in use" in refusal["message"]
    load.leave(first)
    assert load.admit(Running()) is None


def test_a_session_is_refused_while_the_running_ones_fall_behind():
    load = CaptionLoad(limit=4, max_backlog_s=3.0, cores=2)
    slow = Running(backlog_s=0.5)
    assert load.admit(slow) is None
    slow.backlog_s = 4.2
    refusal = load.admit(Running())
    assert refusal["backlog_s"] == 4.2 and "4.2 s behind" in refusal["message"]
    assert load.backlog_s == 4.2
    slow.backlog_s = 0.2  # caught up
    assert load.admit(Running()) is None


def test_a_session_is_refused_while_captioning_keeps_the_cores_busy():
    load = CaptionLoad(limit=4, max_backlog_s=3.0, max_utilization=0.8, cores=2)
    first, second = Running(busy_fraction=0.9), Running(busy_fraction=0.9)
    assert load.admit(first) is None  # nothing running yet
    assert load.admit(second) is None  # 0.9 of one core is 45 % of two
    refusal = load.admit(Running())
    assert refusal["utilization"] == 0.9 and "90 % of its processing" in refusal["message"]
    second.busy_fraction = 0.2
    assert load.admit(Running()) is None
