//! `yundong faults …` and `yundong requests`: fault rules and the request journal, on the database directly like
//! every other admin subcommand. Rules written here reach every running node at once (the change feed carries them);
//! `requests --follow` reads the shared journal table, so it sees every node's calls.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use yundong_proto::faults::{FaultRequest, FaultRule, FaultStatus, RequestEntry, fault_id, parse_fault_id};
use yundong_store::{FaultRow, JournalFilter, NewFault, Store};

use crate::db::DbArgs;

#[derive(Debug, Subcommand)]
pub enum FaultsCommand {
    /// Add a rule: calls to PATH fail with an errcode, wait, or lose their connection.
    Add {
        /// A WeChat-compatible path (/sns/jscode2session, /cgi-bin/token, …) or a client API path (/client/v1/…).
        path: String,
        /// Only calls naming (or resolved to) this app.
        #[arg(long)]
        appid: Option<String>,
        /// The errcode answered (-1 system busy, 45009, 45011, 40001, 42001, …).
        #[arg(long, allow_negative_numbers = true)]
        errcode: Option<i64>,
        /// The errmsg text (WeChat's catalog text by default).
        #[arg(long)]
        errmsg: Option<String>,
        /// The HTTP status of the answer (default 200, as WeChat answers failures).
        #[arg(long)]
        http_status: Option<i64>,
        /// Milliseconds to wait first (0 to 30000); alone, the call is then served normally.
        #[arg(long)]
        delay_ms: Option<i64>,
        /// Close the connection without answering.
        #[arg(long)]
        drop: bool,
        /// Chance that a matching call is faulted (0 to 1).
        #[arg(long)]
        probability: Option<f64>,
        /// Seed of the hit/miss sequence (the same seed, the same sequence).
        #[arg(long)]
        seed: Option<i64>,
        /// Fire on the next N matching calls only, across all nodes.
        #[arg(long)]
        times: Option<i64>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the rules with their hits and what they have left.
    List {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove one rule.
    Rm {
        /// The rule's fault_id (f1, f2, …).
        fault_id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove every rule.
    Clear {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `yundong requests`.
#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// Keep printing calls as they are journaled (by any node), until interrupted.
    #[arg(long)]
    follow: bool,
    /// Only calls to this exact path.
    #[arg(long)]
    path: Option<String>,
    /// Only calls naming this app.
    #[arg(long)]
    appid: Option<String>,
    /// Only calls answered with this errcode.
    #[arg(long, allow_negative_numbers = true)]
    errcode: Option<i64>,
    /// Only calls with an id above this.
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// At most this many calls (without --follow; the most recent ones unless --after is given).
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

fn status_of(row: &FaultRow) -> FaultStatus {
    let r = &row.rule;
    FaultStatus {
        rule: FaultRule {
            fault_id: fault_id(row.id),
            path: r.path.clone(),
            appid: r.appid.clone(),
            errcode: r.errcode,
            errmsg: r.errmsg.clone(),
            http_status: r.http_status,
            delay_ms: r.delay_ms,
            drop: r.drop,
            probability: r.probability,
            seed: r.seed,
            times: r.times,
        },
        hits: row.hits,
        remaining: row.remaining,
        matched: row.matched,
    }
}

fn describe(r: &FaultRule) -> String {
    let what = match (r.drop, r.errcode) {
        (true, _) => "drop the connection".to_owned(),
        (false, Some(code)) => format!("errcode {code} (HTTP {})", r.http_status),
        (false, None) => "served after the delay".to_owned(),
    };
    let mut text = format!("{}  {}", r.fault_id, r.path);
    if let Some(appid) = &r.appid {
        text.push_str(&format!(" [{appid}]"));
    }
    text.push_str(&format!(": {what}"));
    if r.delay_ms > 0 {
        text.push_str(&format!(", after {} ms", r.delay_ms));
    }
    if r.probability < 1.0 {
        text.push_str(&format!(", probability {} (seed {})", r.probability, r.seed));
    }
    if let Some(times) = r.times {
        text.push_str(&format!(", {times} times"));
    }
    text
}

fn out(line: &str) -> Result<bool> {
    match writeln!(std::io::stdout(), "{line}") {
        // A closed pipe (`yundong … | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        other => other.map(|()| true).map_err(Into::into),
    }
}

pub async fn faults(cmd: FaultsCommand) -> Result<()> {
    match cmd {
        FaultsCommand::Add {
            path,
            appid,
            errcode,
            errmsg,
            http_status,
            delay_ms,
            drop,
            probability,
            seed,
            times,
            json,
            db,
        } => {
            let req = FaultRequest {
                path,
                appid,
                errcode,
                errmsg,
                http_status,
                delay_ms,
                drop: drop.then_some(true),
                probability,
                seed,
                times,
            };
            let fallback = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| (d.as_nanos() as u64 >> 12) as i64);
            let mut rule = match req.validate(fallback) {
                Ok(rule) => rule,
                Err(e) => bail!("{e}"),
            };
            let store = db.open().await?;
            let new = NewFault {
                path: rule.path.clone(),
                appid: rule.appid.clone(),
                errcode: rule.errcode,
                errmsg: rule.errmsg.clone(),
                http_status: rule.http_status,
                delay_ms: rule.delay_ms,
                drop: rule.drop,
                probability: rule.probability,
                seed: rule.seed,
                times: rule.times,
            };
            rule.fault_id = fault_id(store.add_fault(&new, now()).await?);
            let line = if json {
                serde_json::to_string_pretty(&rule)?
            } else {
                describe(&rule)
            };
            out(&line)?;
        }
        FaultsCommand::List { json, db } => {
            let store = db.open().await?;
            let faults: Vec<FaultStatus> = store.faults().await?.iter().map(status_of).collect();
            if json {
                out(&serde_json::to_string_pretty(&serde_json::json!({"faults": faults}))?)?;
            } else if faults.is_empty() {
                out("no fault rules")?;
            } else {
                for f in &faults {
                    let left = f.remaining.map_or(String::new(), |n| format!(", {n} left"));
                    out(&format!(
                        "{}  — {} hits of {} matches{left}",
                        describe(&f.rule),
                        f.hits,
                        f.matched
                    ))?;
                }
            }
        }
        FaultsCommand::Rm { fault_id, db } => {
            let Some(id) = parse_fault_id(&fault_id) else {
                bail!("{fault_id:?} is not a fault_id (they look like f12)");
            };
            if !db.open().await?.remove_fault(id).await? {
                bail!("no fault rule {fault_id}");
            }
            out(&format!("removed {fault_id}"))?;
        }
        FaultsCommand::Clear { db } => {
            let n = db.open().await?.clear_faults().await?;
            out(&format!("removed {n} fault rules"))?;
        }
    }
    Ok(())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

use yundong_core::journal::request_entry as entry;

fn line(e: &RequestEntry, json: bool) -> Result<String> {
    if json {
        return Ok(serde_json::to_string(e)?);
    }
    let mut text = format!("{:>7}  {} {}", e.id, e.method, e.path);
    if !e.query.is_empty() {
        text.push_str(&format!("?{}", e.query));
    }
    text.push_str(&format!("  → {}", e.status));
    if let Some(code) = e.errcode {
        text.push_str(&format!(" errcode {code}"));
    }
    if let Some(appid) = &e.appid {
        text.push_str(&format!("  [{appid}]"));
    }
    text.push_str(&format!("  {} ms", e.latency_ms));
    if let Some(f) = &e.fault_id {
        text.push_str(&format!("  fault {f}"));
    }
    Ok(text)
}

pub async fn requests(args: RequestsArgs) -> Result<()> {
    if !(1..=1000).contains(&args.limit) {
        bail!("--limit must be between 1 and 1000");
    }
    let store: Store = args.db.open().await?;
    let mut filter = JournalFilter {
        after: args.after.max(0),
        limit: args.limit,
        path: args.path,
        appid: args.appid,
        errcode: args.errcode,
    };
    if args.after == 0 && !args.follow {
        // The most recent `limit` calls: start below the top.
        filter.after = (store.journal_top().await? - args.limit).max(0);
    } else if args.after == 0 {
        filter.after = store.journal_top().await?;
    }
    loop {
        let rows = store.journal_query(&filter).await?;
        let full = rows.len() as i64 >= filter.limit;
        for row in rows {
            filter.after = row.id;
            if !out(&line(&entry(row), args.json)?)? {
                return Ok(());
            }
        }
        if !args.follow {
            return Ok(());
        }
        if !full {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
