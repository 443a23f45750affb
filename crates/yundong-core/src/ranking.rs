//! The WeRun ranking, likes and detail page (docs/DESIGN.md §5.11): who a viewer sees, in what order, and what each row
//! shows.
//!
//! Rules, decided here and asserted by `tests/api/ranking.rs`:
//!
//! * **Members.** The viewer, plus every friend (both ways) with WeRun on, in the ranking, and not hiding from the
//!   viewer. Every switch is read at request time, so a change takes effect at the next request, on every node.
//! * **The viewer's own switches.** With WeRun off the viewer has no WeRun: ranking, likes and detail answer
//!   `fail werun off` (as `wx.getWeRunData` answers `fail device not support`). Leaving the ranking hides the viewer
//!   from friends only: the viewer still sees their own row, rank and cover, and `join_ranking: false` in the answer
//!   lets a page say so.
//! * **Order.** The day's steps (highest over sources) descending; equal steps by user id ascending, a stable and
//!   node-independent order. Equal steps share a rank (1, 1, 3).
//! * **Cover.** The first row of the viewer's ranking; none while nobody on it has a step that day.
//! * **Check-in.** Each row shows the first record of the user's latest shown (release) check-in made that day.
//! * **Likes.** One per (liker, target, day), from the viewer to anyone else on their ranking that day; a row's count
//!   is every like it got that day. Liking oneself is refused (one's own row shows who liked it, not a button); the
//!   viewer alone can list who liked their own row.
//! * **Detail.** 31 days of steps and the shown check-ins of those days, for oneself or for a friend on one's ranking.

use yundong_proto::client::ok;
use yundong_proto::day::DayZone;
use yundong_proto::werun_social::{
    CheckInView, Cover, DETAIL_CHECKINS_DEFAULT, DETAIL_CHECKINS_MAX, DayStep, DetailResponse, LikeResponse, Liker,
    LikesResponse, RankingEntry, RankingResponse, RecordView,
};
use yundong_store::{RankingRow, Store, UserId, UserRow};

use crate::error::{Error, Result};
use yundong_proto::reason::Reason;

/// The day a call names: `date` (`YYYY-MM-DD`, inside the 31-day window of `now`) or today.
pub fn resolve_day(zone: DayZone, now: i64, date: Option<&str>) -> Result<i64> {
    let Some(date) = date else {
        return Ok(zone.day_start(now));
    };
    let day = zone
        .parse_date(date)
        .ok_or_else(|| Error::invalid("date must be YYYY-MM-DD"))?;
    if !zone.in_window(day, now) {
        return Err(Error::invalid("date must be within the last 31 days"));
    }
    Ok(day)
}

/// Order rows and number them: steps descending, then user id ascending; equal steps share a rank.
pub fn rank(mut rows: Vec<RankingRow>) -> Vec<RankingEntry> {
    rows.sort_unstable_by(|a, b| b.steps.cmp(&a.steps).then(a.user_id.cmp(&b.user_id)));
    let mut out: Vec<RankingEntry> = Vec::with_capacity(rows.len());
    for (i, r) in rows.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.steps == r.steps => prev.rank,
            _ => i as i64 + 1,
        };
        out.push(RankingEntry {
            user_id: r.user_id.0,
            nickname: r.nickname,
            steps: r.steps,
            rank,
            likes: r.likes,
            liked: r.liked,
            checkin: r.checkin.as_ref().map(RecordView::from),
        });
    }
    out
}

/// The viewer's whole ranking for `day` (already resolved with [`resolve_day`]), straight from SQL: the reference
/// that [`crate::ranking_page`] (what requests run, from this node's index) is checked against.
pub async fn ranking(store: &Store, zone: DayZone, viewer: &UserRow, day: i64) -> Result<RankingResponse> {
    if !viewer.werun {
        return Err(Error::from(Reason::WeRunOff));
    }
    let ranking = rank(store.ranking_rows(viewer.id, day).await?);
    let cover = ranking.first().filter(|r| r.steps > 0).map(|r| Cover {
        user_id: r.user_id,
        nickname: r.nickname.clone(),
        steps: r.steps,
    });
    let me = ranking
        .iter()
        .find(|r| r.user_id == viewer.id.0)
        .cloned()
        .ok_or_else(|| Error::from(Reason::UnknownUser))?;
    Ok(RankingResponse {
        err_msg: ok("ranking"),
        date: zone.format_date(day),
        timestamp: day,
        join_ranking: viewer.join_ranking,
        my_rank: me.rank,
        cover,
        total: ranking.len() as i64,
        ranking,
        me,
        next_cursor: None,
    })
}

/// Like, unlike (`liked`) or toggle (`None`) the viewer's like of `target`'s row for `day`.
pub async fn like(
    store: &Store,
    zone: DayZone,
    viewer: &UserRow,
    target: UserId,
    day: i64,
    liked: Option<bool>,
    now: i64,
) -> Result<LikeResponse> {
    if !viewer.werun {
        return Err(Error::from(Reason::WeRunOff));
    }
    if target == viewer.id {
        return Err(Error::from(Reason::CannotLikeYourself));
    }
    if store.visible_friend(viewer.id, target).await?.is_none() {
        return Err(Error::from(Reason::NotInRanking));
    }
    let (liked, likes) = store.set_like(viewer.id, target, day, liked, now).await?;
    Ok(LikeResponse {
        err_msg: ok("like"),
        user_id: target.0,
        date: zone.format_date(day),
        liked,
        likes,
    })
}

/// Who liked the viewer's own row of `day` (the list behind one's own like count).
pub async fn likers(store: &Store, zone: DayZone, viewer: &UserRow, day: i64) -> Result<LikesResponse> {
    if !viewer.werun {
        return Err(Error::from(Reason::WeRunOff));
    }
    let likers = store
        .likers(viewer.id, day)
        .await?
        .into_iter()
        .map(|(user_id, nickname, liked_at)| Liker {
            user_id: user_id.0,
            nickname,
            liked_at,
        })
        .collect();
    Ok(LikesResponse {
        err_msg: ok("likes"),
        date: zone.format_date(day),
        likers,
    })
}

/// The detail page of `target` (default the viewer) for the window ending on the day of `now`.
pub async fn detail(
    store: &Store,
    zone: DayZone,
    viewer: &UserRow,
    target: Option<UserId>,
    page: (Option<i64>, Option<i64>),
    now: i64,
) -> Result<DetailResponse> {
    let (limit, cursor) = page;
    let limit = limit.unwrap_or(DETAIL_CHECKINS_DEFAULT);
    if !(1..=DETAIL_CHECKINS_MAX).contains(&limit) {
        return Err(Error::invalid(format!(
            "invalid checkins_limit: must be 1 to {DETAIL_CHECKINS_MAX}"
        )));
    }
    if !viewer.werun {
        return Err(Error::from(Reason::WeRunOff));
    }
    let subject = match target {
        None => viewer.clone(),
        Some(id) if id == viewer.id => viewer.clone(),
        Some(id) => store
            .visible_friend(viewer.id, id)
            .await?
            .ok_or_else(|| Error::from(Reason::NotVisible))?,
    };
    let window = zone.window(now);
    let (first, last) = (window[0], window[window.len() - 1]);
    let totals = store.day_totals(subject.id, first, last).await?;
    let mut totals = totals.into_iter().peekable();
    let days = window
        .iter()
        .map(|&day| {
            while totals.next_if(|t| t.day < day).is_some() {}
            DayStep {
                date: zone.format_date(day),
                timestamp: day,
                step: totals.next_if(|t| t.day == day).map_or(0, |t| t.steps),
            }
        })
        .collect();
    let mut rows = store
        .shown_check_ins(subject.id, first, last, cursor.unwrap_or(i64::MAX), limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let checkins_next = more.then(|| rows.last().map(|c| c.id)).flatten();
    let checkins = rows
        .into_iter()
        .map(|c| CheckInView {
            id: c.id,
            appid: c.appid,
            app_name: c.app_name,
            date: zone.format_date(c.day),
            created_at: c.created_at,
            records: c.records.iter().map(RecordView::from).collect(),
        })
        .collect();
    Ok(DetailResponse {
        err_msg: ok("detail"),
        user_id: subject.id.0,
        nickname: subject.nickname,
        days,
        checkins,
        checkins_next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user_id: UserId, steps: i64) -> RankingRow {
        RankingRow {
            user_id,
            nickname: format!("u{user_id}"),
            steps,
            likes: 0,
            liked: false,
            checkin: None,
        }
    }

    #[test]
    fn ties_share_a_rank_and_sort_by_user_id() {
        let ranked = rank(vec![
            row(UserId(5), 100),
            row(UserId(3), 900),
            row(UserId(9), 100),
            row(UserId(2), 100),
            row(UserId(1), 0),
        ]);
        let got: Vec<(i64, i64)> = ranked.iter().map(|r| (r.user_id, r.rank)).collect();
        assert_eq!(got, vec![(3, 1), (2, 2), (5, 2), (9, 2), (1, 5)]);
    }

    #[test]
    fn dates_must_be_in_the_window() {
        let zone = DayZone::CHINA;
        let now = 1_574_338_655; // 2019-11-21 20:17 CST
        assert_eq!(resolve_day(zone, now, None).ok(), Some(zone.day_start(now)));
        assert_eq!(resolve_day(zone, now, Some("2019-10-22")).ok(), Some(1_571_673_600));
        for bad in ["2019-10-21", "2019-11-22", "2019-11-2", "x"] {
            assert!(resolve_day(zone, now, Some(bad)).is_err(), "{bad}");
        }
    }
}
