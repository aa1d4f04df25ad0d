"""Local sandbox of the EU Commission's VIES REST service (VAT number registration check)."""

from .server import ViesSandbox

__all__ = ["ViesSandbox"]
