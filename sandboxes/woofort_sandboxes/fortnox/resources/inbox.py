"""The inbox (file upload, scope `inbox`) and voucher file connections (scope `connectfile`): how a voucher gets
its underlag (the receipt or report behind it) in Fortnox — upload the file, then connect its Id to the voucher.

[SPEC]: POST /3/inbox takes multipart/form-data with a part `file` and the query `folderId` or `path`, answers
201 `{"File": fortnox_Folder_FileRow}`; the root holds nine static folders (Inbox_a … Inbox_of); GET /3/inbox/{Id}
answers a folder or the file's bytes. Ids, paths and the refusals are GUESS (docs/fortnox-fidelity.md "Inbox").
"""
from __future__ import annotations

import uuid

from .. import errors as E
from ..listing import paginate, select
from .common import Ctx, now_stamp, public
from .vouchers import find

# [SPEC] tag fortnox_Inbox: the static folders of the root
FOLDERS = {"Inbox_a": "Asset register", "Inbox_d": "Daily takings", "Inbox_s": "Supplier invoices",
           "Inbox_v": "Vouchers", "Inbox_b": "Bank files", "Inbox_l": "Payroll files",
           "Inbox_kf": "Customer invoices", "Inbox_o": "Orders", "Inbox_of": "Offers"}
ROOT = "root"  # GUESS: the root folder's Id


def _folder_id(name: str | None) -> str:
    if not name:
        return ROOT
    for fid in FOLDERS:
        if fid.lower() == name.lower():
            return fid
    raise E.not_found("file")


def _folder(ctx: Ctx, fid: str) -> dict:
    files = [public(f) for f in ctx.state.docs["inbox"].values() if f["Path"] == fid]
    sub = [{"@url": ctx.state.url(f"inbox/{k}"), "Id": k, "Name": k} for k in FOLDERS] if fid == ROOT else []
    return {"Folder": {"@url": ctx.state.url(f"inbox/{fid}"), "Email": "", "Files": files, "Folders": sub,
                       "Id": fid, "Name": "Inbox" if fid == ROOT else fid}}


def root(ctx: Ctx):
    with ctx.state.lock:
        return 200, _folder(ctx, ROOT)


def read(ctx: Ctx, fid: str):
    """A folder's listing, or a file's content as uploaded."""
    with ctx.state.lock:
        f = ctx.state.docs["inbox"].get(fid)
        if f is not None:
            return 200, f["_content"]
        return 200, _folder(ctx, _folder_id(fid))


def upload(ctx: Ctx):
    part = (ctx.files or {}).get("file")
    if part is None or not part.filename:
        raise E.err(E.NO_DATA)  # GUESS: a body without the `file` part answers as an empty body
    content = part.read()
    fid = str(uuid.uuid4())  # GUESS: Fortnox file ids look like UUIDs
    with ctx.state.lock:
        folder = _folder_id(ctx.args.get("folderId") or ctx.args.get("path"))
        doc = {"@url": ctx.state.url(f"inbox/{fid}"), "ArchiveFileId": fid, "Comments": "", "Id": fid,
               "Name": part.filename, "Path": folder, "Size": len(content), "_content": content,
               "_modified": now_stamp()}
        ctx.state.docs["inbox"][fid] = doc
        return 201, {"File": public(doc)}


def delete(ctx: Ctx, fid: str):
    with ctx.state.lock:
        if ctx.state.docs["inbox"].pop(fid, None) is None:
            raise E.not_found("file")
        return 204, None


# ------------------------------------------------------------------------------------------- file connections
def connection_create(ctx: Ctx):
    """Connect an inbox file to an existing voucher (of `VoucherYear`, else its latest year: GUESS); a file is
    connected once (GUESS)."""
    data = ctx.body("VoucherFileConnection", "fortnox_VoucherFileConnection_Wrap", partial=False)
    st = ctx.state
    with st.lock:
        if data["FileId"] not in st.docs["inbox"]:
            raise E.err(E.FILE_MISSING)
        if data["FileId"] in st.docs["voucherfileconnections"]:
            raise E.err(E.DUPLICATE, data["FileId"])
        v = find(st, data["VoucherSeries"], data["VoucherNumber"], data.get("VoucherYear"))
        if v is None:
            raise E.err(E.VOUCHER_MISSING)
        doc = {"@url": st.url(f"voucherfileconnections/{data['FileId']}"), "FileId": data["FileId"],
               "VoucherDescription": v["Description"], "VoucherNumber": str(v["VoucherNumber"]),
               "VoucherSeries": v["VoucherSeries"], "VoucherYear": v["Year"]}
        st.docs["voucherfileconnections"][data["FileId"]] = doc
        return 201, {"VoucherFileConnection": dict(doc)}


def connection_read(ctx: Ctx, fid: str):
    with ctx.state.lock:
        doc = ctx.state.docs["voucherfileconnections"].get(fid)
        if doc is None:
            raise E.not_found("voucherfileconnection")
        return 200, {"VoucherFileConnection": dict(doc)}


def connection_list(ctx: Ctx):
    """Searches as the [SPEC] tag fortnox_VoucherFileConnections lists them."""
    with ctx.state.lock:
        docs = select(ctx.args, ctx.state.docs["voucherfileconnections"].values(),
                      searches={"voucherdescription": lambda c: c["VoucherDescription"]},
                      exact={"voucheryear": lambda c: c["VoucherYear"], "vouchernumber": lambda c: c["VoucherNumber"],
                             "voucherseries": lambda c: c["VoucherSeries"]},
                      filters={}, sorts={}, default_sort=lambda c: (c["VoucherYear"], c["VoucherSeries"],
                                                                     int(c["VoucherNumber"])))
        return 200, paginate(ctx.args, docs, "VoucherFileConnections", dict)


def connection_delete(ctx: Ctx, fid: str):
    with ctx.state.lock:
        if ctx.state.docs["voucherfileconnections"].pop(fid, None) is None:
            raise E.not_found("voucherfileconnection")
        return 204, None
