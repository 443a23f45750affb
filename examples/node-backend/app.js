'use strict';
// A small mini-program back end for a step challenge: WeChat login, WeRun steps, a daily check-in.
//
// It is written the way such a back end is written against real WeChat, with node-easywechat; the only
// yundong-specific thing is the API base it is given (https://api.weixin.qq.com in production, yundong's url in its
// tests). examples/python-backend is the same service in Flask + wechatpy, with the same answers.
//
//   POST /login    {code}                  wx.login's code → {token, openid}               (jscode2session)
//   POST /werun    {encryptedData, iv}     wx.getWeRunData's answer → {date, steps, days}  (decrypted with session_key)
//   POST /checkin                          today's check-in when the steps reach the goal → {date, steps, streak, already}
//   (the last two need "Authorization: Bearer <token>" from /login)
//
// Run it: WECHAT_APPID=… WECHAT_SECRET=… [WECHAT_API_BASE=http://127.0.0.1:8080] node server.js

const { createHmac, randomBytes } = require('node:crypto');
const express = require('express');
const { MiniApp } = require('node-easywechat');

/** WeChat's "system error, please retry": the back end retries it once. */
const SYSTEM_ERROR = -1;
/** checksession's answer for a session_key WeChat no longer holds (expired after 3 idle days, or replaced). */
const SESSION_GONE = 87009;
/** The access token expired (42001) or is no longer valid (40001): fetch a new one and call again, once. */
const TOKEN_STALE = [40001, 42001];
const DAY = 86_400;

/** node-easywechat keeps its access token in a cache; this one is in memory (its default writes files). */
class MemoryCache {
  constructor() {
    this.m = new Map();
  }
  async get(k) {
    const e = this.m.get(k);
    return e && (!e.exp || e.exp > Date.now()) ? e.v : null;
  }
  async has(k) {
    return (await this.get(k)) !== null;
  }
  async set(k, v, ttl) {
    this.m.set(k, { v, exp: ttl ? Date.now() + ttl * 1000 : 0 });
    return true;
  }
  async delete(k) {
    return this.m.delete(k);
  }
}

/** The errcode of a failed node-easywechat call (it throws an Error with WeChat's JSON in its message). */
function errcodeOf(err) {
  const m = /(\{.*\})/s.exec(String(err && err.message));
  if (!m) return null;
  try {
    return JSON.parse(m[1]).errcode ?? null;
  } catch {
    return null;
  }
}

/** `YYYY-MM-DD` of a WeRun day: each stepInfoList timestamp is a UTC+8 midnight. */
function chinaDate(timestamp) {
  return new Date((timestamp + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

function previousDate(date) {
  return chinaDate(Date.parse(`${date}T00:00:00+08:00`) / 1000 - DAY);
}

/**
 * The back end for one mini program. Options (defaults from the environment): appid (WECHAT_APPID), secret
 * (WECHAT_SECRET), apiBase (WECHAT_API_BASE, else https://api.weixin.qq.com), stepGoal (10,000).
 */
function createApp(options = {}) {
  const appid = options.appid || process.env.WECHAT_APPID;
  const secret = options.secret || process.env.WECHAT_SECRET;
  const apiBase = options.apiBase || process.env.WECHAT_API_BASE || 'https://api.weixin.qq.com';
  const stepGoal = options.stepGoal ?? 10_000;
  if (!appid || !secret) throw new Error('createApp needs appid and secret (or WECHAT_APPID and WECHAT_SECRET)');

  const wechat = new MiniApp({ app_id: appid, secret, http: { baseURL: apiBase, timeout: 10_000 } });
  wechat.setCache(new MemoryCache());

  /** jscode2session, retried once when WeChat answers -1 (system error). */
  async function codeToSession(code) {
    try {
      return await wechat.getUtils().codeToSession(code);
    } catch (e) {
      if (errcodeOf(e) !== SYSTEM_ERROR) throw e;
    }
    return wechat.getUtils().codeToSession(code);
  }

  /**
   * An API call with the access token node-easywechat caches. Its cache counts the token's 7,200 s on this machine's
   * clock, so a token WeChat has already expired (42001) or replaced (40001) is refreshed and the call made again.
   */
  async function withToken(call) {
    const attempt = async () => {
      try {
        return (await call(wechat.getClient())).toObject();
      } catch (e) {
        return { errcode: errcodeOf(e) ?? 'network' };
      }
    };
    const res = await attempt();
    if (!TOKEN_STALE.includes(res.errcode)) return res;
    await wechat.getAccessToken().refresh();
    return attempt();
  }

  /** /wxa/checksession: false when WeChat no longer holds this session_key (87009). */
  async function sessionAlive(session) {
    const signature = createHmac('sha256', session.sessionKey).update('').digest('hex');
    const res = await withToken((client) =>
      client.get('wxa/checksession', { params: { openid: session.openid, signature, sig_method: 'hmac_sha256' } })
    );
    if (res.errcode === SESSION_GONE) return false;
    if (res.errcode) {
      const err = new Error('checksession failed');
      err.errcode = res.errcode;
      throw err;
    }
    return true;
  }

  // What the back end keeps (in memory here; a database in a real one).
  const store = {
    sessions: new Map(), // token → {openid, sessionKey}
    steps: new Map(), // openid → Map(date → steps)
    latestDay: new Map(), // openid → today of the last upload
    checkins: new Map(), // openid → Set(date)
  };

  const app = express();
  app.use(express.json());
  app.locals.store = store;
  app.locals.stepGoal = stepGoal;

  const fail = (res, status, error, extra = {}) => res.status(status).json({ error, ...extra });

  /** The caller's session, confirmed alive with WeChat; otherwise the error has been answered and null returned. */
  async function currentSession(req, res) {
    const header = req.get('authorization') || '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const session = store.sessions.get(token);
    if (!session) {
      fail(res, 401, 'not_logged_in');
      return null;
    }
    let alive;
    try {
      alive = await sessionAlive(session);
    } catch (e) {
      fail(res, 502, 'wechat_error', { errcode: e.errcode });
      return null;
    }
    if (!alive) {
      store.sessions.delete(token);
      fail(res, 401, 'session_expired');
      return null;
    }
    return session;
  }

  app.post('/login', async (req, res) => {
    const code = req.body && req.body.code;
    if (typeof code !== 'string' || !code) return fail(res, 400, 'code_required');
    let result;
    try {
      result = await codeToSession(code);
    } catch (e) {
      const errcode = errcodeOf(e);
      if (errcode === 40163) return fail(res, 400, 'code_used');
      if (errcode === 40029) return fail(res, 400, 'invalid_code');
      if (errcode === SYSTEM_ERROR) return fail(res, 503, 'wechat_busy');
      return fail(res, 502, 'wechat_error', { errcode });
    }
    const token = randomBytes(24).toString('base64url');
    store.sessions.set(token, { openid: result.openid, sessionKey: result.session_key });
    res.json({ token, openid: result.openid });
  });

  app.post('/werun', async (req, res) => {
    const session = await currentSession(req, res);
    if (!session) return;
    const body = req.body || {};
    let days;
    try {
      const data = wechat.getUtils().decryptSession(session.sessionKey, body.iv, body.encryptedData);
      // node-easywechat does not check the watermark: a payload for another app must not count.
      if (data.watermark?.appid !== appid) throw new Error('watermark of another app');
      days = new Map(data.stepInfoList.map((d) => [chinaDate(d.timestamp), Number(d.step)]));
    } catch {
      return fail(res, 400, 'invalid_werun_data');
    }
    const today = [...days.keys()].sort().pop();
    const mine = store.steps.get(session.openid) || new Map();
    for (const [date, steps] of days) mine.set(date, steps);
    store.steps.set(session.openid, mine);
    store.latestDay.set(session.openid, today);
    res.json({ date: today, steps: days.get(today), days: days.size });
  });

  app.post('/checkin', async (req, res) => {
    const session = await currentSession(req, res);
    if (!session) return;
    const day = store.latestDay.get(session.openid);
    if (!day) return fail(res, 409, 'no_werun_data');
    const steps = store.steps.get(session.openid).get(day);
    if (steps < stepGoal) return fail(res, 409, 'goal_not_reached', { steps, goal: stepGoal });
    const done = store.checkins.get(session.openid) || new Set();
    store.checkins.set(session.openid, done);
    const already = done.has(day);
    done.add(day);
    let streak = 0;
    for (let d = day; done.has(d); d = previousDate(d)) streak += 1;
    res.json({ date: day, steps, streak, already });
  });

  return app;
}

module.exports = { createApp };
