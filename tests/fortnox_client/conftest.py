"""Fixtures for the Fortnox client tests; the helpers live in _fortnox_testlib (a unique module name, so
that no other directory's conftest can shadow them)."""

from _fortnox_testlib import _shared_sandbox, make_sandbox, sandbox  # noqa: F401 - pytest fixtures
