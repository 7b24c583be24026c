"""`python -m openhear` runs the CLI."""

from openhear.cli import main

raise SystemExit(main())
