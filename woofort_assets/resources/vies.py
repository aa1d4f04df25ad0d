"""The EU Commission's VIES check of a buyer's VAT number: whether the number is registered, not only well formed.

Reverse charge stands on the buyer being a registered business; the offline check (lib/buyers.py) proves the
number's format and check digits only. With `WOOFORT_VIES=on` each number is also put to VIES before an untaxed
sale is booked on it. VIES is often down for a member state: such a number stays unconfirmed and the order waits
for the next build, which asks again, instead of a retry loop here."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import requests

from woofort_assets.lib.settings import DEFAULT_VIES_URL

@dataclass(frozen=True)
class ViesAnswer:
    valid: bool | None          # None: VIES could not say
    detail: str | None          # VIES's error, or why there was no answer
    request_date: str | None    # VIES's timestamp of a definite answer


class ViesResource(dg.ConfigurableResource):
    """`POST {url}/check-vat-number` of the VIES REST API (sandboxes/woofort_sandboxes/vies has its shapes)."""

    enabled: bool = False
    url: str = DEFAULT_VIES_URL
    timeout_seconds: float = 20.0

    def check(self, number: str) -> ViesAnswer:
        """`number` with its member-state prefix (EL for Greece), as lib/buyers.py compacts it."""
        try:
            response = requests.post(f"{self.url.rstrip('/')}/check-vat-number", timeout=self.timeout_seconds,
                                     json={"countryCode": number[:2], "vatNumber": number[2:]})
        except requests.RequestException as error:
            return ViesAnswer(None, f"no answer from VIES ({type(error).__name__})", None)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.ok and isinstance(body.get("valid"), bool):
            return ViesAnswer(body["valid"], None, body.get("requestDate"))
        errors = [w.get("error") for w in body.get("errorWrappers") or [] if isinstance(w, dict)]
        return ViesAnswer(None, ", ".join(filter(None, errors)) or f"VIES answered HTTP {response.status_code}", None)
