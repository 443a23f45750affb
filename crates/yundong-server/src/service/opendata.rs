//! Producing encrypted open data (spec §2): JSON with a watermark, AES-128-CBC under the user's current session_key
//! with a fresh iv, and a cloudID that `/wxa/getopendata` exchanges for the same data for 5 minutes.

use serde::Serialize;
use yundong_proto::crypto;
use yundong_proto::werun::{StepInfo, Watermark, WeRunData};
use yundong_store::{AppRow, StoreError};

use crate::secrets;
use crate::state::AppState;

/// The three strings a `wx.*` open-data call returns.
pub struct Sealed {
    pub encrypted_data: String,
    pub iv: String,
    pub cloud_id: String,
}

/// Encrypt `data` under `session_key` and register a cloudID for it.
pub async fn seal<T: Serialize>(
    state: &AppState,
    app: &AppRow,
    session_key: &str,
    data: &T,
) -> Result<Option<Sealed>, StoreError> {
    let Ok(key) = crypto::decode_b64(crypto::Field::SessionKey, session_key) else {
        return Ok(None);
    };
    let Ok(key) = <[u8; 16]>::try_from(key.as_slice()) else {
        return Ok(None);
    };
    let Ok(plain) = serde_json::to_string(data) else {
        return Ok(None);
    };
    let iv = secrets::key16();
    let encrypted_data = crypto::encrypt(&key, &iv, plain.as_bytes());
    let cloud_id = secrets::cloud_id();
    let expires_at = state.now() + state.config.cloud_id_ttl;
    state
        .store
        .put_cloud_id(&secrets::hash(&cloud_id), app.id, &plain, expires_at)
        .await?;
    Ok(Some(Sealed {
        encrypted_data,
        iv: crypto::encode_b64(&iv),
        cloud_id,
    }))
}

/// The user's WeRun data for the window ending today: 31 entries, ascending, zero-filled.
pub async fn werun_data(state: &AppState, app: &AppRow, user_id: i64) -> Result<WeRunData, StoreError> {
    let now = state.now();
    let window = state.config.day_zone.window(now);
    let totals = state
        .store
        .day_totals(user_id, window[0], window[window.len() - 1])
        .await?;
    let mut totals = totals.into_iter().peekable();
    let step_info_list = window
        .iter()
        .map(|&day| {
            while totals.next_if(|t| t.day < day).is_some() {}
            let step = totals.next_if(|t| t.day == day).map_or(0, |t| t.steps);
            StepInfo { timestamp: day, step }
        })
        .collect();
    Ok(WeRunData {
        step_info_list,
        watermark: Watermark {
            timestamp: now,
            appid: app.appid.clone(),
        },
    })
}
