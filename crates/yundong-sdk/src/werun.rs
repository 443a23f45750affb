//! Typed WeRun data: the decrypted `wx.getWeRunData` payload with per-day helpers in the deployment's day zone.

use std::collections::BTreeMap;

pub use yundong_proto::day::{DayZone, WINDOW_DAYS};
pub use yundong_proto::werun::{ShareInfo, StepInfo, Watermark};

/// Decrypted WeRun steps (`{"stepInfoList": [...], "watermark": {...}}`) and the day zone their days are in.
///
/// WeChat (and yundong) send 31 entries, ascending, zero-filled, the last one today; each `timestamp` is local
/// midnight (UTC+8 by default). The helpers bucket by the local day containing each timestamp, so they stay right
/// even if an entry is not exactly at midnight, and never shift a day by bucketing in UTC.
///
/// ```
/// use yundong_sdk::werun::{DayZone, StepInfo, Watermark, WeRunData};
///
/// // 2019-10-22 and 2019-10-23, 00:00 UTC+8 (WeChat's own sample).
/// let data = WeRunData {
///     step_info_list: vec![
///         StepInfo { timestamp: 1571673600, step: 9103 },
///         StepInfo { timestamp: 1571760000, step: 9783 },
///     ],
///     watermark: Watermark { timestamp: 1571800000, appid: "wx3d289323f5900f8e".into() },
///     zone: DayZone::CHINA,
/// };
/// assert_eq!(data.today(), Some(9783));
/// assert_eq!(data.on_date("2019-10-22"), Some(9103));
/// assert_eq!(data.last_n_days(7).len(), 2);
/// assert_eq!(data.total_last_n_days(1), 9783);
/// assert_eq!(data.steps_by_date()["2019-10-23"], 9783);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeRunData {
    /// The entries as decrypted, in payload order.
    pub step_info_list: Vec<StepInfo>,
    pub watermark: Watermark,
    /// The zone whose midnights bound a day (UTC+8 unless configured otherwise).
    pub zone: DayZone,
}

impl WeRunData {
    /// Wrap the wire payload.
    pub fn from_wire(data: yundong_proto::werun::WeRunData, zone: DayZone) -> Self {
        WeRunData {
            step_info_list: data.step_info_list,
            watermark: data.watermark,
            zone,
        }
    }

    /// The wire payload, for re-serialising.
    pub fn into_wire(self) -> yundong_proto::werun::WeRunData {
        yundong_proto::werun::WeRunData {
            step_info_list: self.step_info_list,
            watermark: self.watermark,
        }
    }

    /// Local midnight (Unix seconds) of the day the data was produced: "today" for this payload.
    pub fn today_start(&self) -> i64 {
        day_start(self.zone, self.watermark.timestamp)
    }

    /// Steps per local day: day start (Unix seconds of local midnight) → steps. Should two entries fall on one
    /// day, the higher count is kept (as WeRun shows the highest source).
    pub fn steps_by_day(&self) -> BTreeMap<i64, i64> {
        let mut days = BTreeMap::new();
        for s in &self.step_info_list {
            let e = days.entry(day_start(self.zone, s.timestamp)).or_insert(s.step);
            *e = (*e).max(s.step);
        }
        days
    }

    /// Steps per local date `YYYY-MM-DD`.
    pub fn steps_by_date(&self) -> BTreeMap<String, i64> {
        self.steps_by_day()
            .into_iter()
            .map(|(day, steps)| (self.zone.format_date(day), steps))
            .collect()
    }

    /// Steps on the local day containing `timestamp`, if the payload has that day.
    pub fn on(&self, timestamp: i64) -> Option<i64> {
        let day = day_start(self.zone, timestamp);
        self.step_info_list
            .iter()
            .filter(|s| day_start(self.zone, s.timestamp) == day)
            .map(|s| s.step)
            .max()
    }

    /// Steps on a local date `YYYY-MM-DD`, if the payload has that day (`None` for a malformed date too).
    pub fn on_date(&self, date: &str) -> Option<i64> {
        self.on(self.zone.parse_date(date)?)
    }

    /// Steps on the day the data was produced (the watermark's local day): WeChat's last entry.
    pub fn today(&self) -> Option<i64> {
        self.on(self.watermark.timestamp)
    }

    /// The payload's days among the last `n` local days ending today (the watermark's day), ascending, one entry
    /// per day with `timestamp` = local midnight. At most `n` entries; never invents days the payload lacks.
    pub fn last_n_days(&self, n: usize) -> Vec<StepInfo> {
        if n == 0 {
            return Vec::new();
        }
        let today = self.today_start();
        let span = i64::try_from(n - 1).unwrap_or(i64::MAX).saturating_mul(86_400);
        let first = today.saturating_sub(span);
        self.steps_by_day()
            .range(first..=today)
            .map(|(&timestamp, &step)| StepInfo { timestamp, step })
            .collect()
    }

    /// The sum of [`WeRunData::last_n_days`].
    pub fn total_last_n_days(&self, n: usize) -> i64 {
        self.last_n_days(n)
            .iter()
            .fold(0_i64, |sum, s| sum.saturating_add(s.step))
    }
}

/// `zone.day_start(ts)` without overflow: a timestamp within two days of the `i64` range (never a real one) is
/// taken as its own day instead of overflowing.
pub(crate) fn day_start(zone: DayZone, ts: i64) -> i64 {
    const MARGIN: i64 = 2 * 86_400;
    if ts > i64::MIN + MARGIN && ts < i64::MAX - MARGIN {
        zone.day_start(ts)
    } else {
        ts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = 86_400;
    // 2019-10-22T00:00+08:00
    const DAY0: i64 = 1_571_673_600;

    fn data(entries: &[(i64, i64)], now: i64) -> WeRunData {
        WeRunData {
            step_info_list: entries
                .iter()
                .map(|&(timestamp, step)| StepInfo { timestamp, step })
                .collect(),
            watermark: Watermark {
                timestamp: now,
                appid: "wx0123456789abcdef".into(),
            },
            zone: DayZone::CHINA,
        }
    }

    #[test]
    fn full_window_helpers() {
        let entries: Vec<(i64, i64)> = (0..31).map(|i| (DAY0 + i * D, 1000 + i)).collect();
        let now = DAY0 + 30 * D + 3600 * 20;
        let d = data(&entries, now);
        assert_eq!(d.today(), Some(1030));
        assert_eq!(d.today_start(), DAY0 + 30 * D);
        assert_eq!(d.steps_by_day().len(), 31);
        assert_eq!(d.last_n_days(31).len(), 31);
        assert_eq!(d.last_n_days(100).len(), 31);
        let week = d.last_n_days(7);
        assert_eq!(week.len(), 7);
        assert_eq!(week[0].timestamp, DAY0 + 24 * D);
        assert_eq!(week[6].step, 1030);
        assert_eq!(d.total_last_n_days(2), 1029 + 1030);
        assert!(d.last_n_days(0).is_empty());
        assert_eq!(d.on_date("2019-10-22"), Some(1000));
        assert_eq!(d.on_date("2019-10-21"), None);
        assert_eq!(d.on_date("bad"), None);
        let by_date = d.steps_by_date();
        assert_eq!(by_date.keys().next().map(String::as_str), Some("2019-10-22"));
        assert_eq!(d.clone().into_wire().step_info_list.len(), 31);
    }

    #[test]
    fn utc_bucketing_mistakes_cannot_happen() {
        // 16:00 UTC of the day before is midnight in UTC+8: it belongs to the CST day, not the UTC one.
        let d = data(&[(DAY0, 5), (DAY0 + D, 7)], DAY0 + D + 60);
        assert_eq!(d.today(), Some(7));
        assert_eq!(d.on(DAY0 + D - 1), Some(5));
        // A non-midnight entry still lands on its local day.
        let d = data(&[(DAY0 + 3600, 5)], DAY0 + 7200);
        assert_eq!(d.today(), Some(5));
        assert_eq!(
            d.last_n_days(1),
            vec![StepInfo {
                timestamp: DAY0,
                step: 5
            }]
        );
    }

    #[test]
    fn duplicate_days_keep_the_highest_and_extremes_do_not_overflow() {
        let d = data(&[(DAY0, 5), (DAY0 + 60, 9), (DAY0 + 120, 3)], DAY0);
        assert_eq!(d.today(), Some(9));
        assert_eq!(d.steps_by_day()[&DAY0], 9);
        let d = data(&[(DAY0, i64::MAX), (DAY0 - D, i64::MAX)], DAY0);
        assert_eq!(d.total_last_n_days(usize::MAX), i64::MAX);
        for now in [i64::MIN, i64::MIN + D, i64::MAX - 1, i64::MAX] {
            let d = data(&[(now, 1), (i64::MAX, 2), (i64::MIN, 3)], now);
            let _ = (
                d.today(),
                d.steps_by_day(),
                d.steps_by_date(),
                d.last_n_days(usize::MAX),
            );
            let _ = d.total_last_n_days(31);
            assert!(data(&[], now).last_n_days(usize::MAX).is_empty());
        }
    }

    #[test]
    fn other_zones() {
        let zone = DayZone::new(0).unwrap_or_default();
        let mut d = data(&[(DAY0, 5)], DAY0 + 60);
        d.zone = zone;
        // DAY0 is 16:00 UTC: in UTC it is the 21st.
        assert_eq!(d.steps_by_date().keys().next().map(String::as_str), Some("2019-10-21"));
    }
}
