"""Fortnox's resources as typed endpoints: where a document lives, what envelope its answers use, and the
actions it takes (`/bookkeep`, `/credit`, `/cancel`). The sink's document kinds and the reconciliation mirror
build every path from these, never by hand (resources and envelopes: ../shared/reference/fortnox_api.md §5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from woofort_assets.resources.fortnox.errors import FortnoxError


@dataclass(frozen=True)
class Endpoint:
    path: str           # "/3/invoices"
    single: str         # the envelope of one document: {"Invoice": {...}}
    plural: str         # the envelope of a listing: {"Invoices": [...]}
    number_field: str   # the document's number within it

    def item_path(self, number: str) -> str:
        return f"{self.path}/{number}"

    def action_path(self, number: str, action: str) -> str:
        return f"{self.path}/{number}/{action}"

    def number_of(self, document: dict) -> str:
        return str(document[self.number_field])

    def unwrap(self, answer: dict) -> dict:
        return answer[self.single]

    def get(self, client, number: str) -> dict:
        return self.unwrap(client.get(self.item_path(number)))

    def get_or_none(self, client, number: str) -> dict | None:
        """The document, or None when Fortnox answers 404; every other error propagates."""
        try:
            return client.get(self.item_path(number)).get(self.single)
        except FortnoxError as err:
            if err.http_status == 404:
                return None
            raise

    def iterate(self, client, params: dict | None = None) -> Iterator[dict]:
        return client.iterate(self.path, self.plural, params)

    def iterate_path(self, client, sub_path: str, params: dict | None = None) -> Iterator[dict]:
        """A listing under the resource (/3/vouchers/sublist/W)."""
        return client.iterate(f"{self.path}/{sub_path}", self.plural, params)


ARTICLES = Endpoint("/3/articles", "Article", "Articles", "ArticleNumber")
CUSTOMERS = Endpoint("/3/customers", "Customer", "Customers", "CustomerNumber")
PRICES = Endpoint("/3/prices", "Price", "Prices", "ArticleNumber")   # keyed by list, article and quantity
INVOICES = Endpoint("/3/invoices", "Invoice", "Invoices", "DocumentNumber")   # invoices and credit invoices
INVOICE_PAYMENTS = Endpoint("/3/invoicepayments", "InvoicePayment", "InvoicePayments", "Number")
ACCOUNTS = Endpoint("/3/accounts", "Account", "Accounts", "Number")
VOUCHERS = Endpoint("/3/vouchers", "Voucher", "Vouchers", "VoucherNumber")   # paths: series/number?financialyear
VOUCHER_SERIES = Endpoint("/3/voucherseries", "VoucherSeries", "VoucherSeriesCollection", "Code")
INBOX = Endpoint("/3/inbox", "File", "Files", "Id")    # a folder's listing is {"Folder": {"Files": [...]}}
VOUCHER_FILE_CONNECTIONS = Endpoint("/3/voucherfileconnections", "VoucherFileConnection",
                                    "VoucherFileConnections", "FileId")
ORDERS = Endpoint("/3/orders", "Order", "Orders", "DocumentNumber")   # used for calibration probes (reference §5.6)
