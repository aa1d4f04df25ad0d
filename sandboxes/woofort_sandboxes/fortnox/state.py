"""In-process state of the sandbox: documents by type, settings, counters. One RLock guards all."""
from __future__ import annotations

import copy
import datetime as dt
import threading
from collections import Counter

from . import seed

DOC_TYPES = ("articles", "customers", "invoices", "orders", "invoicepayments", "prices", "pricelists", "accounts",
             "vouchers", "currencies", "predefinedaccounts", "modesofpayments", "financialyears",
             "stocktakings", "termsofpayments", "invoiceemails", "voucherseries", "inbox", "voucherfileconnections")


class State:
    def __init__(self, tenant_id: str, base_url: str = "https://api.fortnox.se", warehouse: bool = False):
        self.lock = threading.RLock()
        self.tenant_id = str(tenant_id)
        self.base_url = base_url
        self._warehouse = warehouse
        self.counters: Counter = Counter()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        with self.lock:
            self.docs: dict[str, dict] = {t: {} for t in DOC_TYPES}
            self.settings = copy.deepcopy(seed.DEFAULT_SETTINGS)
            self.settings["warehouse"] = self._warehouse
            self.seq = Counter({"articles": 100, "customers": 0, "invoices": 0, "orders": 0, "invoicepayments": 0,
                                "rowid": 0})
            self.voucher_seq: Counter = Counter()
            self.deleted_customers: set[str] = set()
            self.company = {
                "Address": "Storgatan 1", "City": "Stockholm", "CompanyName": "Sandlådan AB",
                "CountryCode": "SE", "DatabaseNumber": int(self.tenant_id) if self.tenant_id.isdigit() else 0,
                "OrganizationNumber": "556000-0000", "VisitAddress": "Storgatan 1", "VisitCity": "Stockholm",
                "VisitCountryCode": "SE", "VisitZipCode": "111 22", "ZipCode": "111 22",
            }
            self.counters.clear()
            self.seed_reference()

    def seed_reference(self, data: dict | None = None) -> None:
        """Seed (or extend) reference data. `data` may hold accounts, modesofpayments, termsofpayments, financialyears,
        voucherseries, predefinedaccounts, currencies, companyinformation, settings (dict; `credit_settlement`,
        `vat_rounding`, `half_rounding`, `terms_of_payment_check` and `exchange_difference` must be one of
        seed.CHOICE_SETTINGS, else ValueError before anything is seeded)."""
        for name, choices in seed.CHOICE_SETTINGS.items():
            value = ((data or {}).get("settings") or {}).get(name, choices[0])
            if value not in choices:
                raise ValueError(f"settings.{name} must be one of {', '.join(choices)}, not {value!r}")
        with self.lock:
            d = self.docs
            if data is None:
                for num, desc, vat, active in seed.ACCOUNTS:
                    d["accounts"][num] = {"Number": num, "Description": desc, "Active": active, "VATCode": vat,
                                          "SRU": None, "BalanceBroughtForward": 0, "BalanceCarriedForward": 0,
                                          "CostCenter": None, "CostCenterSettings": "ALLOWED",
                                          "Project": "", "ProjectSettings": "ALLOWED",
                                          "TransactionInformation": "", "TransactionInformationSettings": "ALLOWED",
                                          "QuantitySettings": "ALLOWED", "QuantityUnit": "", "OpeningQuantities": []}
                for name, acc in seed.PREDEFINED:
                    d["predefinedaccounts"][name] = {"Name": name, "Account": acc}
                for code, desc, acc in seed.MODES_OF_PAYMENT:
                    d["modesofpayments"][code] = {"Code": code, "Description": desc, "AccountNumber": acc}
                for code, desc in seed.TERMS_OF_PAYMENT:
                    d["termsofpayments"][code] = {"Code": code, "Description": desc}
                for code, desc, buy, sell, unit in seed.CURRENCIES:
                    d["currencies"][code] = {"Code": code, "Description": desc, "BuyRate": buy, "SellRate": sell,
                                             "Unit": unit, "Date": dt.date.today().isoformat(), "IsAutomatic": False}
                for fid, frm, to in seed.FINANCIAL_YEARS:
                    d["financialyears"][fid] = {"Id": fid, "FromDate": frm, "ToDate": to,
                                                "AccountChartType": "BAS 2025", "AccountingMethod": "ACCRUAL"}
                for code, desc in seed.VOUCHER_SERIES:
                    self._add_series({"Code": code, "Description": desc, "Manual": code == "A"})
                d["pricelists"]["A"] = {"Code": "A", "Description": "Standardprislista", "Comments": "",
                                        "PreSelected": True}
                return
            for row in data.get("accounts", []):
                base = d["accounts"].get(int(row["Number"]), {"Active": True, "VATCode": "", "SRU": None,
                                                              "BalanceBroughtForward": 0})
                d["accounts"][int(row["Number"])] = {**base, **row, "Number": int(row["Number"])}
            for row in data.get("predefinedaccounts", []):
                d["predefinedaccounts"][row["Name"]] = {"Name": row["Name"], "Account": int(row["Account"])}
            for row in data.get("modesofpayments", []):
                d["modesofpayments"][row["Code"]] = {"Code": row["Code"], "Description": row.get("Description", ""),
                                                     "AccountNumber": str(row["AccountNumber"])}
            for row in data.get("termsofpayments", []):
                d["termsofpayments"][str(row["Code"])] = {"Code": str(row["Code"]),
                                                          "Description": row.get("Description", "")}
            for row in data.get("currencies", []):
                d["currencies"][row["Code"]] = {"Description": "", "BuyRate": 1, "SellRate": 1, "Unit": 1,
                                                "Date": dt.date.today().isoformat(), "IsAutomatic": False, **row}
            for row in data.get("financialyears", []):
                d["financialyears"][int(row["Id"])] = {"AccountChartType": "BAS 2025",
                                                       "AccountingMethod": "ACCRUAL", **row, "Id": int(row["Id"])}
            for row in data.get("voucherseries", []):
                self._add_series(row)
            if "companyinformation" in data:
                self.company.update(data["companyinformation"])
            if "settings" in data:
                self.settings.update(data["settings"])

    # ------------------------------------------------------------------ helpers
    def _add_series(self, row: dict) -> None:
        """A voucher series (resources/vouchers.py); its numbers are counted per financial year in voucher_seq."""
        self.docs["voucherseries"][row["Code"]] = {"Description": "", "Manual": False, **row,
                                                   "_modified": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")}

    def next_number(self, kind: str) -> str:
        with self.lock:
            self.seq[kind] += 1
            return str(self.seq[kind])

    def bump_number(self, kind: str, used: str) -> None:
        """Keep auto-numbering above a client-chosen numeric number."""
        if str(used).isdigit():
            with self.lock:
                self.seq[kind] = max(self.seq[kind], int(used))

    def url(self, path: str) -> str:
        return f"{self.base_url}/3/{path}"

    @property
    def warehouse(self) -> bool:
        return bool(self.settings.get("warehouse"))

    def financial_year_for(self, date: str):
        for fy in self.docs["financialyears"].values():
            if fy["FromDate"] <= date <= fy["ToDate"]:
                return fy
        return None

    def predefined(self, name: str) -> int:
        return int(self.docs["predefinedaccounts"].get(name, {}).get("Account") or 0)

    def dump(self) -> dict:
        with self.lock:
            out = {t: [{k: copy.deepcopy(x) for k, x in v.items() if not k.startswith("_")} for v in docs.values()]
                   for t, docs in self.docs.items()}
            out["companyinformation"] = dict(self.company)
            out["settings"] = copy.deepcopy(self.settings)
            return out

    def __getitem__(self, kind: str) -> dict:
        """sb.state["invoices"] -> {key: document} (live dict; hold sb.state.lock when iterating)."""
        return self.docs[kind]
