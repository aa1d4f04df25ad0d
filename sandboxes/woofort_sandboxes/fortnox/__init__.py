"""Local Fortnox API v3 + OAuth2 sandbox. See docs/fortnox-sandbox.md."""
from .server import FortnoxSandbox

__all__ = ["FortnoxSandbox"]
