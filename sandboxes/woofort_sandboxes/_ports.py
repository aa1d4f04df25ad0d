"""A port check before werkzeug binds: werkzeug's make_server answers a port in use by printing to stderr and
calling sys.exit(1), which a caller cannot turn into its own message. This raises OSError(EADDRINUSE) instead."""
from __future__ import annotations

import errno
import os
import socket


def ensure_free(host: str, port: int) -> None:
    """Raises OSError(EADDRINUSE) if `port` on `host` cannot be bound now (port 0 always can)."""
    if not port:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(errno.EADDRINUSE, f"{host}:{port} is in use ({os.strerror(errno.EADDRINUSE)})") from None
            raise
