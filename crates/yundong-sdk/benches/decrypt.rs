//! Decrypt + parse + watermark check of one 31-day WeRun payload, as a back end handles `wx.getWeRunData`.
//!
//! `cargo bench -p yundong-sdk --bench decrypt`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use yundong_proto::crypto;
use yundong_proto::opendata::{self, Checks};
use yundong_sdk::Decryptor;

const APPID: &str = "wx0123456789abcdef";
// 2026-11-21T00:00+08:00
const TODAY: i64 = 1_795_190_400;

/// `(session_key, iv, encryptedData)` of a 31-day payload, encrypted as the server does.
fn payload() -> (String, String, String) {
    let key = *b"0123456789abcdef";
    let iv = *b"fedcba9876543210";
    let steps: Vec<_> = (0..31_i64)
        .map(|d| json!({"timestamp": TODAY - (30 - d) * 86_400, "step": 1_000 + d * 397 % 20_000}))
        .collect();
    let plain = json!({
        "stepInfoList": steps,
        "watermark": {"timestamp": TODAY + 40_000, "appid": APPID},
    })
    .to_string();
    (
        crypto::encode_b64(&key),
        crypto::encode_b64(&iv),
        crypto::encrypt(&key, &iv, plain.as_bytes()),
    )
}

fn bench(c: &mut Criterion) {
    let (key, iv, data) = payload();
    let decryptor = Decryptor::new(APPID).with_max_age(Duration::from_secs(u64::from(u32::MAX)));
    assert_eq!(
        decryptor.decrypt_werun(&key, &iv, &data).unwrap().step_info_list.len(),
        31
    );

    let mut group = c.benchmark_group("werun_31_days");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sdk_decrypt_werun", |b| {
        b.iter(|| decryptor.decrypt_werun(black_box(&key), black_box(&iv), black_box(&data)))
    });
    // The generic path (JSON value, then typed): what the fast path is measured against.
    let checks = Checks {
        appid: Some(APPID.into()),
        max_age: None,
        now: 0,
    };
    group.bench_function("proto_open_generic", |b| {
        b.iter(|| {
            opendata::open::<yundong_proto::werun::WeRunData>(
                black_box(&key),
                black_box(&iv),
                black_box(&data),
                &checks,
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = bench
}
criterion_main!(benches);
