//! The current world as a scenario file. Deterministic: the same world gives the same bytes, and applying an export
//! to an empty database and exporting again gives the same file (users keep their keys; a user without one is
//! exported as `user<id>`, which the apply then stores as the user's key). Days are absolute dates, check-ins carry
//! their instant. Not exported: secrets and tokens (kept only as hashes), sessions, codes, access tokens, share cards
//! and uploaded images, the journal.

use std::collections::{HashMap, HashSet};

use time::format_description::well_known::Rfc3339;
use yundong_proto::day::DayZone;
use yundong_proto::sport::SportRecord;
use yundong_store::{Store, World};

use super::model::{App, CheckIn, Grant, Group, Like, Scenario, Steps, User};
use crate::error::{Error, Result};

/// The comment every export starts with.
pub const HEADER: &str = "\
# yundong scenario (exported). Apply it with `yundong scenario apply FILE` or POST /admin/v1/scenario.
# Secrets and tokens are stored as hashes and never exported: applying this file keeps the credentials of apps and
# users that exist, and generates new ones (shown once in the apply's answer) for the others. Add `secret:` and
# `token:` entries to fix them.
";

/// The world in `store` as a scenario.
pub async fn export(store: &Store, zone: DayZone) -> Result<Scenario> {
    Ok(build(store.read_world().await?, zone))
}

/// The scenario as YAML, after [`HEADER`].
pub fn to_yaml(scenario: &Scenario) -> Result<String> {
    let body = serde_yaml_ng::to_string(scenario).map_err(|e| Error::invalid(e.to_string()))?;
    Ok(format!("{HEADER}{body}"))
}

fn build(w: World, zone: DayZone) -> Scenario {
    let appids: HashMap<i64, String> = w.apps.iter().map(|a| (a.id.0, a.appid.clone())).collect();
    let stored: HashSet<&str> = w.users.iter().filter_map(|u| u.1.as_deref()).collect();
    let mut keys: HashMap<i64, String> = HashMap::new();
    for (id, key, ..) in &w.users {
        let key = match key {
            Some(k) => k.clone(),
            None => {
                let mut k = format!("user{id}");
                while stored.contains(k.as_str()) {
                    k.push('_');
                }
                k
            }
        };
        keys.insert(*id, key);
    }
    let key = |id: &i64| keys.get(id).cloned().unwrap_or_default();
    let date = |day: i64| zone.format_date(day);
    let mut users: Vec<User> = w
        .users
        .iter()
        .map(|(id, _, nickname, werun, join_ranking)| User {
            key: key(id),
            token: None,
            nickname: nickname.clone(),
            werun: *werun,
            join_ranking: *join_ranking,
            hide: Vec::new(),
            steps: Vec::new(),
            grants: Vec::new(),
            devices: Vec::new(),
            check_ins: Vec::new(),
        })
        .collect();
    let index: HashMap<i64, usize> = w.users.iter().enumerate().map(|(i, u)| (u.0, i)).collect();
    let mut friends = Vec::new();
    for (user, friend, hidden) in &w.friendships {
        let (Some(&u), true) = (index.get(user), index.contains_key(friend)) else {
            continue;
        };
        if user < friend {
            friends.push([key(user), key(friend)]);
        }
        if *hidden {
            users[u].hide.push(key(friend));
        }
    }
    for (user, day, source, steps) in &w.steps {
        let Some(&u) = index.get(user) else { continue };
        let device = match source {
            0 => None,
            s => match appids.get(s) {
                Some(appid) => Some(appid.clone()),
                None => continue,
            },
        };
        users[u].steps.push(Steps {
            days_ago: None,
            date: Some(date(*day)),
            steps: *steps,
            device,
        });
    }
    for (user, app, scope, allow) in &w.grants {
        let (Some(&u), Some(appid)) = (index.get(user), appids.get(app)) else {
            continue;
        };
        users[u].grants.push(Grant {
            appid: appid.clone(),
            scope: scope.clone(),
            allow: *allow,
        });
    }
    for (user, app) in &w.bindings {
        let (Some(&u), Some(appid)) = (index.get(user), appids.get(app)) else {
            continue;
        };
        users[u].devices.push(appid.clone());
    }
    let offset = time::UtcOffset::from_whole_seconds(zone.offset_secs()).unwrap_or(time::UtcOffset::UTC);
    for (user, app, env, at, records) in &w.check_ins {
        let (Some(&u), Some(appid)) = (index.get(user), appids.get(app)) else {
            continue;
        };
        let Ok(records) = serde_json::from_str::<Vec<SportRecord>>(records) else {
            continue;
        };
        let Ok(when) = time::OffsetDateTime::from_unix_timestamp(*at) else {
            continue;
        };
        let Ok(when) = when.to_offset(offset).format(&Rfc3339) else {
            continue;
        };
        users[u].check_ins.push(CheckIn {
            days_ago: None,
            date: None,
            at: Some(when),
            appid: Some(appid.clone()),
            env: (env != "release").then(|| env.clone()),
            record_list: records.iter().map(SportRecord::to_wire).collect(),
        });
    }
    let likes = w
        .likes
        .iter()
        .filter(|(by, of, _)| index.contains_key(by) && index.contains_key(of))
        .map(|(by, of, day)| Like {
            by: key(by),
            of: key(of),
            days_ago: None,
            date: Some(date(*day)),
        })
        .collect();
    let (mut groups, mut chats) = (Vec::new(), Vec::new());
    for (_, kind, name, members) in &w.conversations {
        let members: Vec<String> = members.iter().filter(|m| index.contains_key(m)).map(key).collect();
        match (kind.as_str(), name) {
            ("group", Some(name)) => groups.push(Group {
                name: name.clone(),
                members,
            }),
            ("direct", _) => {
                if let [a, b] = members.as_slice() {
                    chats.push([a.clone(), b.clone()]);
                }
            }
            _ => {}
        }
    }
    Scenario {
        apps: w
            .apps
            .iter()
            .map(|a| App {
                appid: a.appid.clone(),
                secret: None,
                original_id: Some(a.original_id.clone()),
                name: a.name.clone(),
                category: a.category.clone(),
                werun_share: a.werun_share,
                open_platform: a.open_platform.clone(),
                device_steps: a.device_steps,
            })
            .collect(),
        users,
        friends,
        likes,
        groups,
        chats,
    }
}
