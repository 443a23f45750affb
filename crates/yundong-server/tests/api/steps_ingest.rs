//! Group-committed step ingestion: every acknowledged upload is stored, concurrent uploads share commits, and a
//! batch keeps arrival order for writes to the same (user, day, source).

use std::sync::Arc;

use yundong_store::{AppId, StepSource, StepWrite, UserId};

const PHONE: StepSource = StepSource::Phone;
/// A device app's wristband (the source's app need not exist for the store).
const DEVICE: StepSource = StepSource::Device(AppId(7));
use yundong_testkit::TestServer;

use crate::support::cst_midnight;

#[tokio::test]
async fn concurrent_uploads_are_all_acknowledged_and_stored() {
    let s = Arc::new(TestServer::spawn().await);
    let mut users = Vec::new();
    for i in 0..40 {
        users.push(s.user(&format!("u{i}")).await);
    }
    let zone = s.state.config.day_zone;
    let today = cst_midnight(s.state.now());
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let (s, token) = (s.clone(), users[i % 40].token.clone());
            let date = zone.format_date(today - (i / 40) as i64 * 86_400);
            tokio::spawn(async move { s.steps(&token, 100 + i as i64, Some(&date)).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap()["errMsg"], "steps:ok");
    }
    for (u, user) in users.iter().enumerate() {
        let totals = s
            .state
            .store
            .day_totals(UserId(user.user_id), today - 9 * 86_400, today)
            .await
            .unwrap();
        assert_eq!(totals.len(), 10);
        for t in totals {
            let day_index = ((today - t.day) / 86_400) as usize;
            assert_eq!(t.steps, 100 + (day_index * 40 + u) as i64);
        }
    }
}

#[tokio::test]
async fn a_batch_keeps_arrival_order_and_reports_day_totals() {
    let s = TestServer::spawn().await;
    let (a, b) = (UserId(s.user("a").await.user_id), UserId(s.user("b").await.user_id));
    let day = cst_midnight(s.state.now());
    let w = |user_id, source, steps| StepWrite {
        user_id,
        day,
        source,
        steps,
    };
    let totals = s
        .state
        .store
        .put_steps_batch(&[
            w(a, PHONE, 5000),
            w(a, DEVICE, 8000),
            w(a, PHONE, 3000),
            w(b, PHONE, 10),
        ])
        .await
        .unwrap();
    assert_eq!(totals, vec![8000, 8000, 8000, 10]);
    let totals = s.state.store.put_steps_batch(&[w(a, DEVICE, 1000)]).await.unwrap();
    assert_eq!(
        totals,
        vec![3000],
        "the phone's later 3000 replaced its 5000; the device now reports 1000"
    );
}
