"""The `woofort` exit codes and the usage error, shared by the package (`main`) and every subcommand module.

A module of its own so the subcommand modules can import them at the top without importing the package
`__init__` (which loads the subcommand modules): 0 success with nothing set aside; 3 success but records were
quarantined or dead-lettered (listed); 1 the run failed (a step or an ERROR check); 2 usage or configuration
error."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SET_ASIDE = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments; the message says what to fix."""
