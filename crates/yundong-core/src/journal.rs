//! The request journal as the admin surfaces show it (the admin API, its event stream and `yundong requests`).

use yundong_proto::faults::RequestEntry;
use yundong_store::JournalRow;

/// A stored journal row as one listed entry.
pub fn request_entry(row: JournalRow) -> RequestEntry {
    let e = row.entry;
    RequestEntry {
        id: row.id,
        at: e.at,
        method: e.method,
        path: e.path,
        appid: e.appid,
        query: e.query,
        body: e.body,
        status: e.status,
        errcode: e.errcode,
        errmsg: e.errmsg,
        rid: e.rid,
        latency_ms: e.latency_ms,
        fault_id: e.fault_id,
        response: e.response,
        detail: e.detail,
    }
}
