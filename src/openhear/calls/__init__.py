"""Captioned calls: a SIP phone running the relay (their words captioned, typed replies spoken).

- `address`: SIP addresses to dial and typed key presses (DTMF), checked before anything starts.
- `account`: the SIP account (URI, registrar, user name, password kept private).
- `leg`: one call as the relay sees it: its state, their audio as AudioBlocks, a sink for ours.
- `phone`: the pjsua2 user agent, on one thread that owns every pjsua2 object.

Only `phone` imports pjsua2 (the optional `calls` extra); nothing on openhear's other paths
imports this package's `phone` module.
"""

from openhear.errors import OpenhearError

DIAL_TIMEOUT_S = 60.0
"""How long a dialled call may go unanswered before we give up, by default."""
ANSWER_TIMEOUT_S = 10.0
"""How long an answered call may take to connect its audio."""
INSTALL_HINT = "pip install 'openhear[calls]'"
"""How to install pjsua2, which SIP calls need (the optional calls extra)."""


class CallError(OpenhearError):
    """A call that cannot be placed, answered or carried on: said in one line."""
