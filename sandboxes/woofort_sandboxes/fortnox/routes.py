"""REST route table: (path, methods, handler, scope). Scopes per reference §1.3."""
from __future__ import annotations

from werkzeug.routing import Map, Rule

from .resources import (articles, bookkeeping as bk, customers, inbox, invoices, orders, payments, prices, terms,
                        vouchers, warehouse)

ROUTES = [
    ("/3/articles", ["GET"], articles.list_, "article"),
    ("/3/articles", ["POST"], articles.create, "article"),
    ("/3/articles/<number>", ["GET"], articles.read, "article"),
    ("/3/articles/<number>", ["PUT"], articles.update, "article"),
    ("/3/articles/<number>", ["DELETE"], articles.delete, "article"),
    ("/3/prices", ["GET"], prices.list_, "price"),
    ("/3/prices", ["POST"], prices.create, "price"),
    ("/3/prices/sublist/<pricelist>/<article>", ["GET"], prices.list_, "price"),
    ("/3/prices/<pricelist>/<article>", ["GET"], prices.read, "price"),
    ("/3/prices/<pricelist>/<article>", ["PUT"], prices.update, "price"),
    ("/3/prices/<pricelist>/<article>/<fromquantity>", ["GET"], prices.read, "price"),
    ("/3/prices/<pricelist>/<article>/<fromquantity>", ["PUT"], prices.update, "price"),
    ("/3/prices/<pricelist>/<article>/<fromquantity>", ["DELETE"], prices.delete, "price"),
    ("/3/customers", ["GET"], customers.list_, "customer"),
    ("/3/customers", ["POST"], customers.create, "customer"),
    ("/3/customers/<number>", ["GET"], customers.read, "customer"),
    ("/3/customers/<number>", ["PUT"], customers.update, "customer"),
    ("/3/customers/<number>", ["DELETE"], customers.delete, "customer"),
    ("/3/invoices", ["GET"], invoices.list_, "invoice"),
    ("/3/invoices", ["POST"], invoices.create, "invoice"),
    ("/3/invoices/<number>", ["GET"], invoices.read, "invoice"),
    ("/3/invoices/<number>", ["PUT"], invoices.update, "invoice"),
    ("/3/invoices/<number>/bookkeep", ["PUT"], invoices.bookkeep, "invoice"),
    ("/3/invoices/<number>/cancel", ["PUT"], invoices.cancel, "invoice"),
    ("/3/invoices/<number>/credit", ["PUT"], invoices.credit, "invoice"),
    ("/3/invoices/<number>/externalprint", ["PUT"], invoices.externalprint, "invoice"),
    ("/3/invoices/<number>/email", ["GET"], terms.email, "invoice"),
    ("/3/orders", ["GET"], orders.list_, "order"),
    ("/3/orders", ["POST"], orders.create, "order"),
    ("/3/orders/<number>", ["GET"], orders.read, "order"),
    ("/3/orders/<number>", ["PUT"], orders.update, "order"),
    ("/3/orders/<number>/cancel", ["PUT"], orders.cancel, "order"),
    ("/3/orders/<number>/createinvoice", ["PUT"], orders.createinvoice, "order"),
    ("/3/invoicepayments", ["GET"], payments.list_, "payment"),
    ("/3/invoicepayments", ["POST"], payments.create, "payment"),
    ("/3/invoicepayments/<number>", ["GET"], payments.read, "payment"),
    ("/3/invoicepayments/<number>", ["PUT"], payments.update, "payment"),
    ("/3/invoicepayments/<number>", ["DELETE"], payments.delete, "payment"),
    ("/3/invoicepayments/<number>/bookkeep", ["PUT"], payments.bookkeep, "payment"),
    ("/3/accounts", ["GET"], bk.accounts_list, "bookkeeping"),
    ("/3/accounts", ["POST"], bk.accounts_create, "bookkeeping"),
    ("/3/accounts/<number>", ["GET"], bk.accounts_read, "bookkeeping"),
    ("/3/accounts/<number>", ["PUT"], bk.accounts_update, "bookkeeping"),
    ("/3/vouchers", ["GET"], vouchers.list_, "bookkeeping"),
    ("/3/vouchers", ["POST"], vouchers.create, "bookkeeping"),
    ("/3/vouchers/sublist", ["GET"], vouchers.sublist_current, "bookkeeping"),
    ("/3/vouchers/sublist/<series>", ["GET"], vouchers.list_, "bookkeeping"),
    ("/3/vouchers/<series>/<number>", ["GET"], vouchers.read, "bookkeeping"),
    ("/3/voucherseries", ["GET"], vouchers.series_list, "bookkeeping"),
    ("/3/voucherseries", ["POST"], vouchers.series_create, "bookkeeping"),
    ("/3/voucherseries/<code>", ["GET"], vouchers.series_read, "bookkeeping"),
    ("/3/voucherseries/<code>", ["PUT"], vouchers.series_update, "bookkeeping"),
    ("/3/settings/lockedperiod", ["GET"], vouchers.locked_period, "settings"),  # scope GUESS
    ("/3/inbox", ["GET"], inbox.root, "inbox"),
    ("/3/inbox", ["POST"], inbox.upload, "inbox"),
    ("/3/inbox/<fid>", ["GET"], inbox.read, "inbox"),
    ("/3/inbox/<fid>", ["DELETE"], inbox.delete, "inbox"),
    ("/3/voucherfileconnections", ["GET"], inbox.connection_list, "connectfile"),
    ("/3/voucherfileconnections", ["POST"], inbox.connection_create, "connectfile"),
    ("/3/voucherfileconnections/<fid>", ["GET"], inbox.connection_read, "connectfile"),
    ("/3/voucherfileconnections/<fid>", ["DELETE"], inbox.connection_delete, "connectfile"),
    ("/3/financialyears", ["GET"], bk.financialyears_list, "bookkeeping"),
    ("/3/financialyears/<fid>", ["GET"], bk.financialyears_read, "bookkeeping"),
    ("/3/currencies", ["GET"], bk.currencies_list, "currency"),
    ("/3/currencies/<code>", ["GET"], bk.currencies_read, "currency"),
    ("/3/predefinedaccounts", ["GET"], bk.predefined_list, "settings"),
    ("/3/predefinedaccounts/<name>", ["GET"], bk.predefined_read, "settings"),
    ("/3/modesofpayments", ["GET"], bk.modes_list, "settings"),
    ("/3/modesofpayments", ["POST"], bk.modes_create, "settings"),
    ("/3/modesofpayments/<code>", ["GET"], bk.modes_read, "settings"),
    ("/3/termsofpayments", ["GET"], terms.list_, "settings"),  # scope GUESS
    ("/3/termsofpayments", ["POST"], terms.create, "settings"),
    ("/3/termsofpayments/<code>", ["GET"], terms.read, "settings"),
    ("/3/termsofpayments/<code>", ["PUT"], terms.update, "settings"),
    ("/3/companyinformation", ["GET"], bk.companyinformation, "companyinformation"),
    ("/3/euvatlimitregulation", ["GET"], bk.eu_vat_limit, "bookkeeping"),  # scope GUESS
    ("/api/warehouse/tenants-v4", ["GET"], warehouse.tenants, "warehouse"),
    ("/api/warehouse/status-v1/stockbalance", ["GET"], warehouse.stockbalance, "warehouse"),
    ("/api/warehouse/stocktaking-v1", ["POST"], warehouse.stocktaking_create, "warehouse"),
    ("/api/warehouse/stocktaking-v1/<sid>", ["GET"], warehouse.stocktaking_read, "warehouse"),
    ("/api/warehouse/stocktaking-v1/<sid>/rows", ["POST"], warehouse.stocktaking_rows, "warehouse"),
    ("/api/warehouse/stocktaking-v1/<sid>/release", ["PUT"], warehouse.stocktaking_release, "warehouse"),
]


def build_map() -> tuple[Map, dict]:
    rules, table = [], {}
    for i, (path, methods, handler, scope) in enumerate(ROUTES):
        name = f"r{i}"
        rules.append(Rule(path, methods=methods, endpoint=name))
        table[name] = (handler, scope, f"{methods[0]} {path}")
    return Map(rules, strict_slashes=False, merge_slashes=False), table
