//! `wx.shareToWeRun` record-list validation on arbitrary JSON: `sport::validate_record_list` never panics, an error
//! always names `recordList`, and what it accepts is exactly valid: 1–10 records, each a catalog type with one unit
//! it allows and a value in range, which validate again to the same records from their wire form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use yundong_proto::sport::{MAX_RECORDS, SportRecord, sport, validate_record_list};

fn check(list: &Value) {
    match validate_record_list(list) {
        Ok(records) => {
            assert!(!records.is_empty() && records.len() <= MAX_RECORDS);
            for r in &records {
                let s = sport(r.type_id).expect("an accepted typeId is in the catalog");
                assert!(s.allows(r.unit), "{r:?}");
                assert!((1..=r.unit.max()).contains(&r.value), "{r:?}");
            }
            let wire = Value::Array(records.iter().map(SportRecord::to_wire).collect());
            assert_eq!(validate_record_list(&wire), Ok(records));
        }
        Err(e) => assert!(e.message().starts_with("recordList"), "{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    check(&value);
    // The same value as the only record, and inside a shareToWeRun body as a shim would send it.
    check(&Value::Array(vec![value.clone()]));
    if let Some(list) = value.get("recordList") {
        check(list);
    }
});
