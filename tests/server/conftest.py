from server.live import live_app  # noqa: F401  (the session's one live app, shared with tests/browser)
