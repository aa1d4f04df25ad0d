"""ViesSandbox: the VIES REST check a web shop's accountant relies on for reverse charge, on loopback.

`POST {url}/check-vat-number` with `{"countryCode": "DE", "vatNumber": "136695976"}` answers 200 with
`{"countryCode", "vatNumber", "requestDate", "valid", "requestIdentifier", "name", "address"}`; "---" where a member
state does not disclose name or address (Germany, Spain). Source: the Commission's VIES REST API
(https://ec.europa.eu/taxation_customs/vies/rest-api, "check-vat-number"; third-party write-ups agree on the
fields). When a member state's register is down VIES answers `{"actionSucceed": false, "errorWrappers":
[{"error": "MS_UNAVAILABLE"}]}`; the HTTP status of that answer is GUESS (`unavailable_status`: 500 by default,
or 200), as is its exact body.

Registered numbers are given by the test (`registered`), everything else is "not registered"; `unavailable` lists
the member states whose register is down. `requests` counts the checks asked, per number."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from datetime import datetime, timezone

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .._ports import ensure_free


class ViesSandbox:
    def __init__(self, registered: dict[str, str] | None = None, unavailable: set[str] | None = None,
                 unavailable_status: int = 500, host: str = "127.0.0.1", port: int = 0):
        self.registered = dict(registered or {})   # "DE136695976" -> name ("---" undisclosed)
        self.unavailable = set(unavailable or ())   # member-state prefixes, e.g. {"FI"}
        self.unavailable_status = unavailable_status
        self.requests: Counter[str] = Counter()
        self.host, self.port = host, port
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/taxation_customs/vies/rest-api"

    def _answer(self, request: Request) -> Response:
        if request.method != "POST" or not request.path.endswith("/check-vat-number"):
            return Response(status=404)
        try:
            asked = json.loads(request.get_data())
            country, number = str(asked["countryCode"]).upper(), str(asked["vatNumber"]).upper()
        except (ValueError, KeyError, TypeError):
            return _json(400, {"actionSucceed": False, "errorWrappers": [{"error": "INVALID_INPUT"}]})
        self.requests[country + number] += 1
        if country in self.unavailable:
            return _json(self.unavailable_status,
                         {"actionSucceed": False, "errorWrappers": [{"error": "MS_UNAVAILABLE"}]})
        name = self.registered.get(country + number)
        return _json(200, {"countryCode": country, "vatNumber": number,
                           "requestDate": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                           "valid": name is not None, "requestIdentifier": "",
                           "name": name or "---", "address": "---"})

    def __call__(self, environ, start_response):
        return self._answer(Request(environ))(environ, start_response)

    def start(self) -> ViesSandbox:
        ensure_free(self.host, self.port)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(self.host, self.port, self, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="vies-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
