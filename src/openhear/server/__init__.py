"""The local web app: a FastAPI app over the same library calls as the CLI, and its static page.

`create_app(options, services)` builds the app; `openhear serve` loads the models once and runs it.
"""

from openhear.server.app import create_app
from openhear.server.options import ServerOptions

__all__ = ["ServerOptions", "create_app"]
