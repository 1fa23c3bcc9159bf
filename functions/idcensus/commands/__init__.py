"""Subcommands of `idcensus` declared beside their code (see cli.COMMAND_MODULES)."""
