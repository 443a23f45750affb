//! Single-thread throughput of WeRun open-data handling: decrypt, parse and watermark-check, as a back end does.
//!
//! ```text
//! cargo run --release -p yundong-sdk --example decrypt_throughput -- payloads.json
//! payloads_per_sec=412345
//! ```
//!
//! The file is a JSON array of `{"session_key", "iv", "encryptedData", "appid"}` objects (what `wx.getWeRunData`
//! gives plus the app's id). Each payload is checked once up front (any failure is reported and the run fails), then
//! all of them are processed round-robin for about 3 seconds on the calling thread. Set `DURATION_SECS` to change
//! the duration.
//!
//! `--generate N PATH` writes N payloads of 31 days each (deterministic keys) to PATH, for trying it out.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use yundong_proto::crypto;
use yundong_proto::werun::{StepInfo, Watermark, WeRunData};
use yundong_sdk::Decryptor;

#[derive(Deserialize)]
struct Payload {
    session_key: String,
    iv: String,
    #[serde(rename = "encryptedData")]
    encrypted_data: String,
    appid: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, n, path] if flag == "--generate" => generate(n, path),
        [path] => run(path),
        _ => Err("usage: decrypt_throughput PAYLOADS.json | --generate N PATH".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decrypt_throughput: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let payloads: Vec<Payload> =
        serde_json::from_str(&text).map_err(|e| format!("{path} is not a JSON array of payloads: {e}"))?;
    if payloads.is_empty() {
        return Err(format!("{path} holds no payloads"));
    }
    let duration = std::env::var("DURATION_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(3), Duration::from_secs_f64);

    // One decryptor per app, as a back end holds one per mini program.
    let mut decryptors: HashMap<&str, Decryptor> = HashMap::new();
    for p in &payloads {
        decryptors
            .entry(p.appid.as_str())
            .or_insert_with(|| Decryptor::new(p.appid.clone()));
    }
    let work: Vec<(&Decryptor, &Payload)> = payloads
        .iter()
        .filter_map(|p| decryptors.get(p.appid.as_str()).map(|d| (d, p)))
        .collect();
    for (i, (d, p)) in work.iter().enumerate() {
        d.decrypt_werun(&p.session_key, &p.iv, &p.encrypted_data)
            .map_err(|e| format!("payload {i} does not decrypt: {e}"))?;
    }

    let start = Instant::now();
    let mut done: u64 = 0;
    let elapsed = loop {
        for (d, p) in &work {
            let data = d.decrypt_werun(
                black_box(&p.session_key),
                black_box(&p.iv),
                black_box(&p.encrypted_data),
            );
            black_box(&data);
        }
        done += work.len() as u64;
        let elapsed = start.elapsed();
        if elapsed >= duration {
            break elapsed;
        }
    };
    let per_sec = done as f64 / elapsed.as_secs_f64();
    println!("payloads_per_sec={}", per_sec.round() as u64);
    Ok(())
}

/// splitmix64: deterministic test keys without a random-number dependency.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bytes16(state: &mut u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&next(state).to_le_bytes());
    out[8..].copy_from_slice(&next(state).to_le_bytes());
    out
}

fn generate(n: &str, path: &str) -> Result<(), String> {
    let n: usize = n.parse().map_err(|_| format!("{n:?} is not a count"))?;
    let mut state = 0x5EED_u64;
    let mut out = Vec::with_capacity(n);
    // 2026-11-21T00:00+08:00, the day the spec was written.
    let today = 1_795_190_400_i64;
    for i in 0..n {
        let (key, iv) = (bytes16(&mut state), bytes16(&mut state));
        let appid = format!("wx{:016x}", (i % 4) as u64 + 0x0123_4567_89ab_cd00);
        // Serialised as the server does it (field order included).
        let data = WeRunData {
            step_info_list: (0..31)
                .map(|d| StepInfo {
                    timestamp: today - (30 - d) * 86_400,
                    step: (next(&mut state) % 30_000) as i64,
                })
                .collect(),
            watermark: Watermark {
                timestamp: today + 37_000 + i as i64,
                appid: appid.clone(),
            },
        };
        let plain = serde_json::to_string(&data).map_err(|e| e.to_string())?;
        out.push(json!({
            "session_key": crypto::encode_b64(&key),
            "iv": crypto::encode_b64(&iv),
            "encryptedData": crypto::encrypt(&key, &iv, plain.as_bytes()),
            "appid": appid,
        }));
    }
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
    Ok(())
}
