//! Local-day arithmetic. WeRun buckets steps by the day in the deployment's zone (UTC+8 by default, no DST), and
//! every `stepInfoList[].timestamp` is 00:00 of that day (docs/WECHAT.md §1.4, docs/DESIGN.md §5.1). A day is
//! identified by the Unix timestamp of its local midnight, so bucketing by UTC date can never shift it.

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Days in a WeRun window: today and the 30 before it.
pub const WINDOW_DAYS: usize = 31;
const DAY: i64 = 86_400;

/// A fixed-offset day zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayZone {
    offset_secs: i32,
}

impl Default for DayZone {
    fn default() -> Self {
        DayZone::CHINA
    }
}

impl DayZone {
    /// UTC+8, Asia/Shanghai (no DST).
    pub const CHINA: DayZone = DayZone { offset_secs: 8 * 3600 };

    /// A zone `offset_secs` east of UTC; offsets beyond ±18 h are refused.
    pub fn new(offset_secs: i32) -> Option<DayZone> {
        (offset_secs.abs() <= 18 * 3600).then_some(DayZone { offset_secs })
    }

    /// Parse `+08:00`, `-05:30`, `+8` or `UTC+8`.
    pub fn parse(text: &str) -> Option<DayZone> {
        let t = text.trim().trim_start_matches("UTC");
        if t.is_empty() || t == "Z" {
            return DayZone::new(0);
        }
        let (sign, rest) = match t.as_bytes().first()? {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return None,
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
            None => (rest.parse::<i32>().ok()?, 0),
        };
        if !(0..60).contains(&m) || !(0..=18).contains(&h) {
            return None;
        }
        DayZone::new(sign * (h * 3600 + m * 60))
    }

    pub fn offset_secs(self) -> i32 {
        self.offset_secs
    }

    /// Local midnight (as a Unix timestamp) of the day that contains `ts`.
    ///
    /// Total: any `i64` may come from a request (`setstep`'s `timestamp`), so the arithmetic is done in `i128`; the
    /// first day of the `i64` range, whose midnight lies before `i64::MIN`, clamps to `i64::MIN`.
    pub fn day_start(self, ts: i64) -> i64 {
        let ts = i128::from(ts);
        let start = ts - (ts + i128::from(self.offset_secs)).rem_euclid(i128::from(DAY));
        i64::try_from(start).unwrap_or(i64::MIN)
    }

    /// The 31 day starts of the window ending on the day of `now`, ascending; the last one is today.
    pub fn window(self, now: i64) -> [i64; WINDOW_DAYS] {
        let today = self.day_start(now);
        std::array::from_fn(|i| today.saturating_sub((WINDOW_DAYS - 1 - i) as i64 * DAY))
    }

    /// Whether the day starting at `day` lies inside the window of `now` (not before it, not in the future).
    pub fn in_window(self, day: i64, now: i64) -> bool {
        let w = self.window(now);
        day >= w[0] && day <= w[WINDOW_DAYS - 1] && self.day_start(day) == day
    }

    /// The day start of a `YYYY-MM-DD` local date: ASCII digits only, so `+001-+1-+5` (which `str::parse` would
    /// read as year 1, January 5) is refused like any other text that is not a date.
    pub fn parse_date(self, text: &str) -> Option<i64> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        if ![y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
        let date = Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
        let offset = UtcOffset::from_whole_seconds(self.offset_secs).ok()?;
        Some(date.midnight().assume_offset(offset).unix_timestamp())
    }

    /// `YYYY-MM-DD` of the local day containing `ts`.
    pub fn format_date(self, ts: i64) -> String {
        let offset = UtcOffset::from_whole_seconds(self.offset_secs).unwrap_or(UtcOffset::UTC);
        match OffsetDateTime::from_unix_timestamp(ts) {
            Ok(t) => {
                let d = t.to_offset(offset).date();
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            }
            Err(_) => String::from("invalid-date"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn official_sample_timestamps_are_china_midnights() {
        // docs/WECHAT.md §1.4: 1571673600 = 2019-10-22T00:00+08:00.
        let z = DayZone::CHINA;
        assert_eq!(z.day_start(1571673600), 1571673600);
        assert_eq!(z.day_start(1571673600 + 86399), 1571673600);
        assert_eq!(z.day_start(1571673599), 1571673600 - 86400);
        assert_eq!(z.format_date(1571673600), "2019-10-22");
        assert_eq!(z.parse_date("2019-10-22"), Some(1571673600));
    }

    #[test]
    fn window_is_31_ascending_ending_today() {
        let now = 1574338655; // the sample's watermark, 2019-11-21 20:17 CST
        let w = DayZone::CHINA.window(now);
        assert_eq!(w.len(), 31);
        assert_eq!(w[0], 1571673600); // the sample's first entry
        assert_eq!(DayZone::CHINA.format_date(w[30]), "2019-11-21");
        assert!(w.windows(2).all(|p| p[1] - p[0] == 86400));
    }

    #[test]
    fn utc_midnight_is_not_a_day_boundary_in_china() {
        // 2019-11-20T23:30Z is 2019-11-21 07:30 CST; 2019-11-20T15:59:59Z is still 2019-11-20 CST.
        let z = DayZone::CHINA;
        assert_eq!(z.format_date(1574292600), "2019-11-21");
        assert_eq!(z.format_date(1574265599), "2019-11-20");
        assert_eq!(z.format_date(1574265600), "2019-11-21");
    }

    #[test]
    fn zone_parsing() {
        assert_eq!(DayZone::parse("+08:00"), Some(DayZone::CHINA));
        assert_eq!(DayZone::parse("UTC+8"), Some(DayZone::CHINA));
        assert_eq!(DayZone::parse("-05:30").map(DayZone::offset_secs), Some(-19800));
        assert_eq!(DayZone::parse("Z").map(DayZone::offset_secs), Some(0));
        assert_eq!(DayZone::parse("+19:00"), None);
        assert_eq!(DayZone::parse("8"), None);
        assert_eq!(DayZone::CHINA.parse_date("2019-02-30"), None);
        assert_eq!(DayZone::CHINA.parse_date("2019-2-3"), None);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        // Regression: `setstep?timestamp=-9223372036854775808` with a valid token panicked (i64 overflow) in
        // `day_start`. Every i64 now has a day start, and the ends of the range are outside every window.
        for z in [
            DayZone::CHINA,
            DayZone::new(-18 * 3600).unwrap(),
            DayZone::new(18 * 3600).unwrap(),
        ] {
            for ts in [i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX] {
                let d = z.day_start(ts);
                assert!(d <= ts);
                assert!(!z.in_window(d, 1_574_338_655), "{ts}");
                let _ = z.window(ts);
                let _ = z.format_date(ts);
            }
            assert_eq!(z.day_start(i64::MIN), i64::MIN);
        }
    }

    #[test]
    fn dates_are_ascii_digits_only() {
        let z = DayZone::CHINA;
        for text in [
            "+019-10-22",
            "2019-+1-22",
            "2019-10-+2",
            " 019-10-22",
            "2019-1٠-22",
            "2019-10-2\n",
        ] {
            assert_eq!(z.parse_date(text), None, "{text:?}");
        }
        assert_eq!(
            z.parse_date("0001-01-01").map(|d| z.format_date(d)).as_deref(),
            Some("0001-01-01")
        );
    }

    proptest! {
        /// Total over every i64 (a request can carry any): never a panic, and the answer is a day start at or
        /// before `ts`, less than a day before it, away from the two ends of the range.
        #[test]
        fn day_start_is_total(ts in any::<i64>(), off in -64_800i32..=64_800) {
            let z = DayZone::new(off).unwrap();
            let d = z.day_start(ts);
            prop_assert!(d <= ts);
            if ts > i64::MIN + 86_400 {
                prop_assert!(ts - d < 86_400);
                prop_assert_eq!(z.day_start(d), d);
            }
            let _ = z.in_window(ts, ts);
            let _ = z.window(ts);
        }

        /// A date text that parses is a local midnight that formats back to the same text; any other text is
        /// refused without a panic.
        #[test]
        fn parse_date_round_trips(text in prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2}", "[-+0-9]{1,5}-[-+0-9]{1,3}-[-+0-9]{1,3}", ".{0,12}"], off in -64_800i32..=64_800) {
            let z = DayZone::new(off).unwrap();
            if let Some(day) = z.parse_date(&text) {
                prop_assert_eq!(z.day_start(day), day);
                prop_assert_eq!(z.format_date(day), text);
            }
        }

        #[test]
        fn zone_parsing_never_panics(text in ".{0,12}") {
            if let Some(z) = DayZone::parse(&text) {
                prop_assert!(z.offset_secs().abs() <= 18 * 3600);
            }
        }

        #[test]
        fn day_start_is_idempotent_and_contains_ts(ts in -4_000_000_000i64..4_000_000_000, off in -64_800i32..64_800) {
            let z = DayZone::new(off).unwrap();
            let d = z.day_start(ts);
            prop_assert!(d <= ts && ts - d < 86_400);
            prop_assert_eq!(z.day_start(d), d);
            prop_assert!(z.in_window(d, ts));
        }
    }
}
