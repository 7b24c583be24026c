"""CLI subcommands, one module each; see openhear.cli for the contract."""
