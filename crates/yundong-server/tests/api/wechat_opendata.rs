//! `/wxa/getopendata` (docs/WECHAT.md §1.6, docs/DESIGN.md §5.8) and `/hardware/bracelet/setstep` (docs/WECHAT.md §4.1,
//! docs/DESIGN.md §5.9).

use serde_json::{Value, json};
use yundong_testkit::TestServer;

use crate::support::{cst_midnight, decrypt_answer, errcode};

#[tokio::test]
async fn cloud_id_exchanges_for_the_same_data_for_five_minutes() {
    let s = TestServer::spawn().await;
    let (app, other) = (s.app().await, s.app().await);
    let user = s.user("u").await;
    s.steps(&user.token, 4321, None).await;
    let (_, key) = s.session(&app, &user).await;
    let v = s.werun(&user.token, &app.appid).await;
    let plain = decrypt_answer(&key, &v);
    let cloud_id = v["cloudID"].as_str().unwrap();
    let token = s.access_token(&app).await;
    let path = format!("/wxa/getopendata?access_token={token}");
    let (_, res) = s
        .post_json(&path, None, &json!({"cloudid_list": [cloud_id, "27_unknown"]}))
        .await;
    assert_eq!(
        (res["errcode"].as_i64(), res["errmsg"].as_str()),
        (Some(0), Some("ok")),
        "{res}"
    );
    let list = res["data_list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["cloud_id"], cloud_id);
    let json: Value = serde_json::from_str(list[0]["json"].as_str().expect("json is a string")).unwrap();
    assert_eq!(json["cloudID"], cloud_id);
    assert_eq!(json["data"], plain, "the cloudID stands for exactly the encrypted data");
    let unknown: Value = serde_json::from_str(list[1]["json"].as_str().unwrap()).unwrap();
    assert_eq!(unknown["errCode"], -601007);

    // Another app's token cannot read it.
    let other_token = s.access_token(&other).await;
    let (_, res) = s
        .post_json(
            &format!("/wxa/getopendata?access_token={other_token}"),
            None,
            &json!({"cloudid_list": [cloud_id]}),
        )
        .await;
    let j: Value = serde_json::from_str(res["data_list"][0]["json"].as_str().unwrap()).unwrap();
    assert_eq!(j["errCode"], -601007);
    assert!(j.get("data").is_none());

    s.advance(301).await;
    let token = s.access_token(&app).await;
    let (_, res) = s
        .post_json(
            &format!("/wxa/getopendata?access_token={token}"),
            None,
            &json!({"cloudid_list": [cloud_id]}),
        )
        .await;
    let j: Value = serde_json::from_str(res["data_list"][0]["json"].as_str().unwrap()).unwrap();
    assert_eq!(
        (j["errCode"].as_i64(), j["errMsg"].as_str()),
        (Some(-601006), Some("cloudID expired."))
    );
}

#[tokio::test]
async fn getopendata_rejects_malformed_lists() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let token = s.access_token(&app).await;
    let path = format!("/wxa/getopendata?access_token={token}");
    let too_many: Vec<String> = (0..21).map(|i| format!("27_{i}")).collect();
    for body in [
        json!({}),
        json!({"cloudid_list": []}),
        json!({"cloudid_list": "27_x"}),
        json!({"cloudid_list": [1]}),
        json!({"cloudid_list": too_many}),
    ] {
        assert_eq!(errcode(&s.post_json(&path, None, &body).await.1), 47001, "{body}");
    }
    assert_eq!(
        errcode(
            &s.post_json("/wxa/getopendata", None, &json!({"cloudid_list": ["x"]}))
                .await
                .1
        ),
        41001
    );
}

async fn werun_steps(
    s: &TestServer,
    app: &yundong_proto::admin::AppCreated,
    user: &yundong_proto::admin::UserCreated,
) -> Vec<i64> {
    let (_, key) = s.session(app, user).await;
    let v = s.werun(&user.token, &app.appid).await;
    let data = decrypt_answer(&key, &v);
    data["stepInfoList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn setstep_reports_absolute_totals_and_the_day_shows_the_highest_source() {
    let s = TestServer::spawn().await;
    let (mini, band) = (s.app().await, s.device_app("band vendor").await);
    let user = s.user("u").await;
    s.bind_device(&user, &band).await;
    let (band_openid, _) = s.session(&band, &user).await;
    let token = s.access_token(&band).await;
    let now = s.state.now();
    let set = |ts: i64, step: &str| {
        format!("/hardware/bracelet/setstep?access_token={token}&openid={band_openid}&timestamp={ts}&step={step}")
    };
    assert_eq!(
        s.get_json(&set(now, "5000")).await.1,
        json!({"errcode": 0, "errmsg": "ok"})
    );
    s.steps(&user.token, 3000, None).await;
    assert_eq!(
        werun_steps(&s, &mini, &user).await[30],
        5000,
        "the band's total is higher"
    );
    // A later report from the same source replaces the earlier one, even when lower.
    assert_eq!(errcode(&s.get_json(&set(now, "2000")).await.1), 0);
    assert_eq!(
        werun_steps(&s, &mini, &user).await[30],
        3000,
        "now the phone's total is the highest"
    );
    // Yesterday, by timestamp; capped at 98,800.
    assert_eq!(errcode(&s.get_json(&set(now - 86_400, "150000")).await.1), 0);
    assert_eq!(werun_steps(&s, &mini, &user).await[29], 98_800);
    // Bad values change nothing.
    for (ts, step, code) in [
        (now + 3600, "1", 40097),
        (cst_midnight(now) - 31 * 86_400, "1", 40097),
        (now, "-1", 40097),
        (now, "1.5", 47001),
        (now, "many", 47001),
    ] {
        assert_eq!(
            errcode(&s.get_json(&set(ts, step)).await.1),
            code,
            "ts {ts} step {step}"
        );
    }
    let (_, v) = s
        .get_json(&format!(
            "/hardware/bracelet/setstep?access_token={token}&openid={band_openid}&step=1"
        ))
        .await;
    assert_eq!(errcode(&v), 40097);
    let steps = werun_steps(&s, &mini, &user).await;
    assert_eq!((steps[30], steps[29], steps[0]), (3000, 98_800, 0));
    // The mini program's openid is not the band app's openid.
    let (mini_openid, _) = s.session(&mini, &user).await;
    let (_, v) = s
        .get_json(&format!(
            "/hardware/bracelet/setstep?access_token={token}&openid={mini_openid}&timestamp={now}&step=1"
        ))
        .await;
    assert_eq!(errcode(&v), 40003);
}
