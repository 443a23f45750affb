//! Recording step totals (DESIGN §5.9): absolute daily totals per source, any day of the 31-day window, never the
//! future, capped.

use yundong_store::StoreError;

use crate::state::AppState;

/// The source id of a user's phone (client API); device apps use their own app id.
pub const PHONE: i64 = 0;

/// How far ahead of the server's clock a device timestamp may be (devices' clocks drift).
pub const CLOCK_SKEW: i64 = 300;

#[derive(Debug)]
pub enum StepsError {
    Invalid(&'static str),
    Store(StoreError),
}

/// What was kept, and the day's total over all sources.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    pub step: i64,
    pub total: i64,
}

/// Record `steps` as `source`'s total for the local day starting at `day`.
pub async fn record(
    state: &AppState,
    user_id: i64,
    day: i64,
    source: i64,
    steps: i64,
) -> Result<Recorded, StepsError> {
    if steps < 0 {
        return Err(StepsError::Invalid("step must not be negative"));
    }
    let now = state.now();
    let zone = state.config.day_zone;
    if day > zone.day_start(now) {
        return Err(StepsError::Invalid("the day is in the future"));
    }
    if !zone.in_window(day, now) {
        return Err(StepsError::Invalid("the day is outside the 31-day window"));
    }
    let step = steps.min(state.config.daily_step_cap);
    let total = state
        .store
        .put_steps(user_id, day, source, step)
        .await
        .map_err(StepsError::Store)?;
    Ok(Recorded { step, total })
}
