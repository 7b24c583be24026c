"""The hearing checks open in the page: the procedure object and its calibration, by id."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from openhear.errors import OpenhearError
from openhear.fitting.audiometry import HearingCheck
from openhear.fitting.hearing_levels import Calibration

MAX_OPEN_CHECKS = 4
"""Checks kept at once; starting another drops the oldest (a page left open holds one)."""


@dataclass
class OpenCheck:
    """One check in progress."""

    check: HearingCheck
    """The procedure (the same object the terminal drives)."""
    calibration: Calibration
    """How its levels become digital levels in the page."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """One answer at a time."""


class HearingChecks:
    """The open checks of one app, by id (random, unguessable)."""

    def __init__(self) -> None:
        self._checks: OrderedDict[str, OpenCheck] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, check: OpenCheck) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._checks[key] = check
            while len(self._checks) > MAX_OPEN_CHECKS:
                self._checks.popitem(last=False)
        return key

    def get(self, key: str) -> OpenCheck:
        with self._lock:
            found = self._checks.get(key)
        if found is None:
            raise OpenhearError("no such hearing check (it ended or was replaced by a newer one)")
        return found

    def close(self, key: str) -> bool:
        with self._lock:
            return self._checks.pop(key, None) is not None
