//! A page of the viewer's ranking, built from this node's index of ranking inputs ([`crate::cache::day_totals`])
//! rather than from SQL: gather the members' day totals from memory, sort, cut the page. The rules are those of
//! [`crate::ranking`] (members, order, ties, cover, check-in head, likes, switches); `tests/api/ranking_pages.rs`
//! checks every page against the SQL reference [`crate::ranking::ranking`].
//!
//! Paging: `limit` rows (default 50, at most 200) from the start, or after a `cursor`. A cursor names the position of
//! the last row of the page before (its steps and user id, and the day), not an offset, so a page follows on from the
//! rows the client has even when totals moved in between (a row whose steps changed may then appear twice or not at
//! all; ranks are those of the ranking as it is when the page is read). It is opaque to clients.

use bytes::Bytes;
use yundong_proto::client::ok;
use yundong_proto::day::DayZone;
use yundong_proto::werun_social::{
    Cover, RANKING_PAGE_DEFAULT, RANKING_PAGE_MAX, RankingEntry, RankingResponse, RecordView,
};
use yundong_store::UserId;

use yundong_proto::reason::Reason;

use crate::Core;
use crate::cache::Loaded;
use crate::cache::day_totals::UserDay;
use crate::error::{Error, Result};

/// Which rows a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    /// The (steps, user id) of the last row already shown.
    pub after: Option<(i64, UserId)>,
}

const CURSOR_TAG: &str = "r1";

/// The cursor following the row (`steps`, `user_id`) of `day`'s ranking.
pub fn cursor_text(day: i64, steps: i64, user_id: UserId) -> String {
    format!("{CURSOR_TAG}.{day:x}.{steps:x}.{:x}", user_id.0)
}

fn parse_cursor(day: i64, text: &str) -> Option<(i64, UserId)> {
    let mut parts = text.split('.');
    let hex = |p: Option<&str>| {
        p.filter(|p| !p.is_empty() && p.len() <= 16 && p.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|p| i64::from_str_radix(p, 16).ok())
    };
    if parts.next() != Some(CURSOR_TAG) {
        return None;
    }
    let (d, steps, user) = (hex(parts.next())?, hex(parts.next())?, hex(parts.next())?);
    (parts.next().is_none() && d == day && user > 0).then_some((steps, UserId(user)))
}

/// Check a call's `limit` and `cursor` for `day`.
pub fn parse_page(day: i64, limit: Option<i64>, cursor: Option<&str>) -> Result<Page> {
    let limit = limit.unwrap_or(RANKING_PAGE_DEFAULT);
    if !(1..=RANKING_PAGE_MAX).contains(&limit) {
        return Err(Error::invalid(format!(
            "invalid limit: must be 1 to {RANKING_PAGE_MAX}"
        )));
    }
    let after = match cursor {
        None => None,
        Some(c) => Some(parse_cursor(day, c).ok_or_else(|| Error::invalid("invalid cursor"))?),
    };
    Ok(Page {
        limit: limit as usize,
        after,
    })
}

/// The page of the viewer's ranking for `day`, as the JSON of its answer: this node's cached copy while nothing it
/// depends on (the viewer and every friend) changed, else built from the index and kept. Failures are not cached.
pub async fn ranking_page_json(state: &Core, viewer: UserId, day: i64, page: Page) -> Result<Bytes> {
    let cache = &state.cache;
    let load = || async move {
        let (answer, deps) = build(state, viewer, day, page).await?;
        let json = Bytes::from(serde_json::to_vec(&answer).map_err(|_| Error::from(Reason::SystemError))?);
        let cost = json.len() + deps.len() * 8 + 128;
        Ok::<_, Error>(Loaded {
            value: json,
            deps,
            cost,
        })
    };
    let key = (viewer, day, page.limit, page.after);
    let entry = cache.rankings.get_or_load(&cache.feed, key, load).await?;
    Ok(entry.value.clone())
}

fn entry(row: &UserDay, rank: i64, liked: bool) -> RankingEntry {
    RankingEntry {
        user_id: row.user_id.0,
        nickname: row.nickname.to_string(),
        steps: row.steps,
        rank,
        likes: row.likes,
        liked,
        checkin: row.checkin.as_ref().map(RecordView::from),
    }
}

/// The page, and the users it depends on. Must follow a [`crate::cache::Feed::sync`] (as `get_or_load` does).
pub async fn build(state: &Core, viewer: UserId, day: i64, page: Page) -> Result<(RankingResponse, Vec<UserId>)> {
    let (index, feed, store) = (&state.cache.day_totals, &state.cache.feed, &state.store);
    let side = index.viewer(store, feed, viewer, day).await?;
    let mut ids = Vec::with_capacity(side.side.friends.len() + 1);
    ids.push(viewer);
    ids.extend(side.side.friends.iter().copied().filter(|&f| f != viewer));
    let rows = index.rows(store, feed, &ids, day).await?;
    let me = rows[0].clone().ok_or_else(|| Error::from(Reason::UnknownUser))?;
    if !me.werun {
        return Err(Error::from(Reason::WeRunOff));
    }
    // (steps descending, user id ascending) as one ascending key, and where the row is.
    let mut order: Vec<(i64, UserId, u32)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let r = r.as_ref()?;
            (i == 0 || (r.werun && r.join_ranking)).then_some((-r.steps, r.user_id, i as u32))
        })
        .collect();
    order.sort_unstable();
    // Equal steps share the rank of the first of them (1, 1, 3).
    let rank_at = |pos: usize| order.partition_point(|o| o.0 < order[pos].0) as i64 + 1;
    let row_at = |pos: usize| rows[order[pos].2 as usize].as_deref();
    let liked = |id: UserId| side.side.liked.binary_search(&id).is_ok();
    let start = page
        .after
        .map_or(0, |(steps, id)| order.partition_point(|o| (o.0, o.1) <= (-steps, id)));
    let end = (start + page.limit).min(order.len());
    let ranking: Vec<RankingEntry> = (start..end)
        .filter_map(|pos| row_at(pos).map(|r| entry(r, rank_at(pos), liked(r.user_id))))
        .collect();
    let my_pos = order.partition_point(|o| (o.0, o.1) < (-me.steps, viewer));
    let my_rank = rank_at(my_pos);
    let cover = order
        .first()
        .filter(|o| o.0 < 0)
        .and_then(|_| row_at(0))
        .map(|r| Cover {
            user_id: r.user_id.0,
            nickname: r.nickname.to_string(),
            steps: r.steps,
        });
    let next_cursor = (end < order.len())
        .then(|| row_at(end - 1).map(|r| cursor_text(day, r.steps, r.user_id)))
        .flatten();
    let zone: DayZone = state.config.day_zone;
    let answer = RankingResponse {
        err_msg: ok("ranking"),
        date: zone.format_date(day),
        timestamp: day,
        join_ranking: me.join_ranking,
        my_rank,
        cover,
        ranking,
        me: entry(&me, my_rank, false),
        total: order.len() as i64,
        next_cursor,
    };
    Ok((answer, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let day = 1_760_025_600;
        let c = cursor_text(day, 12_345, UserId(77));
        assert_eq!(
            parse_page(day, None, Some(&c)).ok().and_then(|p| p.after),
            Some((12_345, UserId(77)))
        );
        assert_eq!(parse_page(day, None, None).ok().map(|p| p.limit), Some(50));
        let other_day = cursor_text(day - 86_400, 1, UserId(1));
        let no_user = format!("r1.{day:x}.1.0");
        let negative = format!("r1.{day:x}.-1.1");
        for bad in [
            "",
            "r1",
            "r1.x.1.1",
            "r1.1.1",
            "r2.1.1.1",
            "r1.1.1.1.1",
            &other_day,
            &no_user,
            &negative,
        ] {
            assert!(parse_page(day, None, Some(bad)).is_err(), "{bad:?}");
        }
        for limit in [0, -1, 201] {
            assert!(parse_page(day, Some(limit), None).is_err(), "{limit}");
        }
        assert!(parse_page(day, Some(200), None).is_ok());
    }
}
