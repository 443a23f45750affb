//! Scenario files (issue 13): a declarative YAML description of a known world, applied idempotently and exported in
//! the same format. Shared by the admin API (`POST/GET /admin/v1/scenario`), `yundong scenario apply|export` and
//! `yundong serve --scenario`. Self-contained: the file's shape ([`model`]), its JSON Schema (`schema.json`), the
//! checks and resolution to a store [`Plan`] (here), and the export ([`export`]).
//!
//! Credentials: fixed ones are checked against WeChat's shapes and must not collide with other data. Secrets and
//! tokens are kept as hashes, so an export never contains one; applying a file without them keeps the credentials of
//! apps and users that exist and generates new ones for the others (returned once, in the apply's answer).

pub mod export;
pub mod model;

use std::collections::{HashMap, HashSet};

use yundong_proto::control::{AppliedApp, AppliedUser, ScenarioApplied};
use yundong_proto::day::DayZone;
use yundong_proto::share::{MAX_GROUP_MEMBERS, MIN_GROUP_MEMBERS};
use yundong_proto::{client::KNOWN_SCOPES, ids, sport};
use yundong_store::{Plan, PlanApp, PlanCheckIn, PlanUser, Store};

pub use export::{export, to_yaml};
pub use model::Scenario;

use crate::accounts::check_text;
use crate::error::{Error, Result};
use crate::secrets;

/// The JSON Schema of a scenario file (served at `GET /admin/v1/scenario/schema`).
pub const SCHEMA: &str = include_str!("schema.json");

/// The largest scenario file accepted, in bytes (a world of a few thousand users with a month of steps).
pub const MAX_FILE_BYTES: usize = 32 << 20;

fn invalid<T>(message: impl Into<String>) -> Result<T> {
    Err(Error::invalid(message.into()))
}

/// Read a scenario file (YAML or JSON).
pub fn parse(text: &str) -> Result<Scenario> {
    if text.len() > MAX_FILE_BYTES {
        return invalid(format!("a scenario file is at most {MAX_FILE_BYTES} bytes"));
    }
    if text.trim().is_empty() {
        return Ok(Scenario::default());
    }
    serde_yaml_ng::from_str(text).map_err(|e| Error::invalid(format!("not a scenario file: {e}")))
}

/// 32+ URL-safe characters, as client tokens are.
fn is_user_token(t: &str) -> bool {
    (32..=128).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_secret(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The day start of `days_ago`/`date` (exactly one) at `now`; never after today.
fn day_of(zone: DayZone, now: i64, days_ago: Option<i64>, date: Option<&str>, what: &str) -> Result<i64> {
    let today = zone.day_start(now);
    let day = match (days_ago, date) {
        (Some(n), None) if (0..=36_500).contains(&n) => today - n * 86_400,
        (Some(n), None) => return invalid(format!("{what}: days_ago must be 0 to 36500, got {n}")),
        (None, Some(d)) => match zone.parse_date(d) {
            Some(day) => day,
            None => return invalid(format!("{what}: date must be YYYY-MM-DD, got {d:?}")),
        },
        _ => return invalid(format!("{what}: give exactly one of days_ago and date")),
    };
    if day > today {
        return invalid(format!("{what}: {} is in the future", zone.format_date(day)));
    }
    Ok(day)
}

/// Check `scenario` and resolve it at `now` into a plan for the store (candidates for generated credentials
/// included: the store uses them only for what it creates). Returns the plan and the generated plaintexts.
pub fn resolve(
    scenario: &Scenario,
    now: i64,
    zone: DayZone,
    step_cap: i64,
) -> Result<(Plan, Vec<String>, Vec<String>)> {
    let mut plan = Plan { now, ..Plan::default() };
    let (mut secrets_made, mut tokens_made) = (Vec::new(), Vec::new());
    let mut app_index: HashMap<&str, usize> = HashMap::new();
    let mut original_ids = HashSet::new();
    for (i, a) in scenario.apps.iter().enumerate() {
        let at = format!("apps[{i}]");
        if !ids::is_appid(&a.appid) {
            return invalid(format!(
                "{at}.appid must be wx + 16 lowercase hex digits, got {:?}",
                a.appid
            ));
        }
        if app_index.insert(&a.appid, i).is_some() {
            return invalid(format!("{at}: appid {} appears twice", a.appid));
        }
        if let Some(s) = &a.secret
            && !is_secret(s)
        {
            return invalid(format!("{at}.secret must be 32 lowercase hex digits"));
        }
        if let Some(o) = &a.original_id {
            if !ids::is_original_id(o) {
                return invalid(format!(
                    "{at}.original_id must be gh_ + 12 lowercase hex digits, got {o:?}"
                ));
            }
            if !original_ids.insert(o.clone()) {
                return invalid(format!("{at}: original_id {o} appears twice"));
            }
        }
        check_text(&format!("{at}.name"), &a.name, 64)?;
        if let Some(c) = &a.category {
            check_text(&format!("{at}.category"), c, 64)?;
        }
        if let Some(p) = &a.open_platform
            && (p.is_empty() || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return invalid(format!("{at}.open_platform must be 1 to 64 of [A-Za-z0-9_-]"));
        }
        let secret = secrets::app_secret();
        plan.apps.push(PlanApp {
            appid: a.appid.clone(),
            secret_hash: a.secret.as_deref().map(secrets::hash),
            original_id: a.original_id.clone(),
            new_secret_hash: secrets::hash(&secret),
            new_original_id: secrets::original_id(),
            name: a.name.trim().to_owned(),
            category: a.category.as_ref().map(|c| c.trim().to_owned()),
            werun_share: a.werun_share,
            open_platform: a.open_platform.clone(),
            device_steps: a.device_steps,
        });
        secrets_made.push(secret);
    }
    let app = |appid: &str, at: &str| -> Result<usize> {
        app_index
            .get(appid)
            .copied()
            .ok_or_else(|| Error::invalid(format!("{at}: appid {appid} is not among the file's apps")))
    };
    let mut user_index: HashMap<&str, usize> = HashMap::new();
    let mut tokens = HashSet::new();
    for (i, u) in scenario.users.iter().enumerate() {
        let at = format!("users[{i}]");
        if u.key.is_empty() || u.key.len() > 64 || u.key.chars().any(char::is_control) {
            return invalid(format!("{at}.key must be 1 to 64 characters"));
        }
        if user_index.insert(&u.key, i).is_some() {
            return invalid(format!("{at}: key {} appears twice", u.key));
        }
        if let Some(t) = &u.token {
            if !is_user_token(t) {
                return invalid(format!(
                    "{at}.token must be 32 to 128 URL-safe characters ([A-Za-z0-9_-])"
                ));
            }
            if !tokens.insert(t.clone()) {
                return invalid(format!("{at}: the token of {} is another user's too", u.key));
            }
        }
        check_text(&format!("{at}.nickname"), &u.nickname, 32)?;
        let token = secrets::user_token();
        plan.users.push(PlanUser {
            key: u.key.clone(),
            token_hash: u.token.as_deref().map(secrets::hash),
            new_token_hash: secrets::hash(&token),
            nickname: u.nickname.trim().to_owned(),
            werun: u.werun,
            join_ranking: u.join_ranking,
        });
        tokens_made.push(token);
    }
    let user = |key: &str, at: &str| -> Result<usize> {
        user_index
            .get(key)
            .copied()
            .ok_or_else(|| Error::invalid(format!("{at}: no user with key {key:?}")))
    };
    // Friends, with each side's "hide".
    let mut pairs: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, [a, b]) in scenario.friends.iter().enumerate() {
        let at = format!("friends[{i}]");
        let (a, b) = (user(a, &at)?, user(b, &at)?);
        if a == b {
            return invalid(format!("{at}: a user cannot befriend themselves"));
        }
        let key = (a.min(b), a.max(b));
        if pairs.contains_key(&key) {
            continue;
        }
        pairs.insert(key, plan.friends.len());
        plan.friends.push((key.0, key.1, false, false));
    }
    for (i, u) in scenario.users.iter().enumerate() {
        for hidden in &u.hide {
            let at = format!("users[{i}].hide");
            let other = user(hidden, &at)?;
            let Some(&f) = pairs.get(&(i.min(other), i.max(other))) else {
                return invalid(format!("{at}: {} and {hidden} are not friends", u.key));
            };
            let pair = &mut plan.friends[f];
            if pair.0 == i {
                pair.2 = true;
            } else {
                pair.3 = true;
            }
        }
    }
    let only_app = (scenario.apps.len() == 1).then_some(0);
    for (i, u) in scenario.users.iter().enumerate() {
        let mut days = HashSet::new();
        for (j, s) in u.steps.iter().enumerate() {
            let at = format!("users[{i}].steps[{j}]");
            let day = day_of(zone, now, s.days_ago, s.date.as_deref(), &at)?;
            if !(0..=step_cap).contains(&s.steps) {
                return invalid(format!("{at}.steps must be 0 to {step_cap}"));
            }
            let source = match &s.device {
                None => None,
                Some(appid) => {
                    let a = app(appid, &at)?;
                    if !scenario.apps[a].device_steps {
                        return invalid(format!("{at}.device: app {appid} lacks device_steps"));
                    }
                    Some(a)
                }
            };
            if !days.insert((day, source)) {
                return invalid(format!("{at}: a second entry for the same day and source"));
            }
            plan.steps.push((i, day, source, s.steps));
        }
        for (j, g) in u.grants.iter().enumerate() {
            let at = format!("users[{i}].grants[{j}]");
            if !KNOWN_SCOPES.contains(&g.scope.as_str()) {
                return invalid(format!("{at}.scope must be one of {}", KNOWN_SCOPES.join(", ")));
            }
            plan.grants.push((i, app(&g.appid, &at)?, g.scope.clone(), g.allow));
        }
        for (j, appid) in u.devices.iter().enumerate() {
            let at = format!("users[{i}].devices[{j}]");
            let a = app(appid, &at)?;
            if !scenario.apps[a].device_steps {
                return invalid(format!("{at}: app {appid} lacks device_steps"));
            }
            plan.bindings.push((i, a));
        }
        for (j, c) in u.check_ins.iter().enumerate() {
            let at = format!("users[{i}].check_ins[{j}]");
            let (day, when) = match (&c.at, c.days_ago, &c.date) {
                (Some(t), None, None) => {
                    let when = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| Error::invalid(format!("{at}.at must be an RFC 3339 instant, got {t:?}")))?
                        .unix_timestamp();
                    if when > now {
                        return invalid(format!("{at}.at is in the future"));
                    }
                    (zone.day_start(when), when)
                }
                (None, ..) => {
                    let day = day_of(zone, now, c.days_ago, c.date.as_deref(), &at)?;
                    (day, day)
                }
                _ => return invalid(format!("{at}: give exactly one of at, days_ago and date")),
            };
            let a = match &c.appid {
                Some(appid) => app(appid, &at)?,
                None => only_app.ok_or_else(|| {
                    Error::invalid(format!("{at}.appid is needed when the file has not exactly one app"))
                })?,
            };
            let env = c.env.clone().unwrap_or_else(|| "release".into());
            if !["release", "develop", "trial"].contains(&env.as_str()) {
                return invalid(format!("{at}.env must be release, develop or trial"));
            }
            let list = serde_json::Value::Array(c.record_list.clone());
            let records =
                sport::validate_record_list(&list).map_err(|e| Error::invalid(format!("{at}: {}", e.message())))?;
            let first = records[0];
            plan.check_ins.push(PlanCheckIn {
                user: i,
                app: a,
                env,
                day,
                at: when,
                records: serde_json::to_string(&records).map_err(|e| Error::invalid(e.to_string()))?,
                first_type_id: first.type_id,
                first_unit: first.unit.field().into(),
                first_value: first.value,
            });
        }
    }
    for (i, l) in scenario.likes.iter().enumerate() {
        let at = format!("likes[{i}]");
        let (by, of) = (user(&l.by, &at)?, user(&l.of, &at)?);
        plan.likes
            .push((by, of, day_of(zone, now, l.days_ago, l.date.as_deref(), &at)?));
    }
    let mut names = HashSet::new();
    for (i, g) in scenario.groups.iter().enumerate() {
        let at = format!("groups[{i}]");
        check_text(&format!("{at}.name"), &g.name, 64)?;
        if !names.insert(g.name.trim()) {
            return invalid(format!("{at}: a second group named {:?}", g.name));
        }
        let mut members = Vec::new();
        for m in &g.members {
            let m = user(m, &at)?;
            if members.contains(&m) {
                return invalid(format!("{at}: members must be distinct"));
            }
            members.push(m);
        }
        if !(MIN_GROUP_MEMBERS..=MAX_GROUP_MEMBERS).contains(&members.len()) {
            return invalid(format!(
                "{at}: a group has {MIN_GROUP_MEMBERS} to {MAX_GROUP_MEMBERS} members"
            ));
        }
        plan.groups.push((g.name.trim().to_owned(), members));
    }
    for (i, [a, b]) in scenario.chats.iter().enumerate() {
        let at = format!("chats[{i}]");
        let (a, b) = (user(a, &at)?, user(b, &at)?);
        if !pairs.contains_key(&(a.min(b), a.max(b))) {
            return invalid(format!("{at}: only friends have a direct chat: add them to friends"));
        }
        plan.chats.push((a, b));
    }
    Ok((plan, secrets_made, tokens_made))
}

/// Apply `scenario` at `now`: in one transaction, all of it or (on any error) nothing.
pub async fn apply(
    store: &Store,
    scenario: &Scenario,
    now: i64,
    zone: DayZone,
    step_cap: i64,
) -> Result<ScenarioApplied> {
    let (plan, secrets_made, tokens_made) = resolve(scenario, now, zone, step_cap)?;
    let done = store.apply_scenario(&plan).await?.map_err(Error::invalid)?;
    let apps = plan
        .apps
        .iter()
        .zip(secrets_made)
        .enumerate()
        .map(|(i, (a, secret))| AppliedApp {
            appid: a.appid.clone(),
            created: done.apps_created[i],
            secret: (done.apps_created[i] && a.secret_hash.is_none()).then_some(secret),
        })
        .collect();
    let users = plan
        .users
        .iter()
        .zip(tokens_made)
        .enumerate()
        .map(|(i, (u, token))| AppliedUser {
            key: u.key.clone(),
            user_id: done.user_ids[i].0,
            created: done.users_created[i],
            token: (done.users_created[i] && u.token_hash.is_none()).then_some(token),
        })
        .collect();
    Ok(ScenarioApplied {
        apps,
        users,
        check_ins_added: done.check_ins_added,
    })
}
