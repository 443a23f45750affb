'use strict';
// The phone and the operator side of a conformance run, in plain fetch (no SDK involved): the admin API creates the
// app and the user, the client API stands in for the WeChat app (wx.login, the step sensor, wx.getWeRunData).
// Everything the *back end* does goes through the real SDK under test, in the suites.
//
// Environment: YUNDONG_BASE (http://127.0.0.1:PORT/) and YUNDONG_ADMIN_TOKEN.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const BASE = process.env.YUNDONG_BASE.replace(/\/+$/, '') + '/';
const ADMIN_TOKEN = process.env.YUNDONG_ADMIN_TOKEN;
const DAY = 86400;
const CN_OFFSET = 8 * 3600;

async function call(method, path, token, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} /${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

async function createApp(name) {
  const app = await call('POST', 'admin/v1/apps', ADMIN_TOKEN, { name });
  assert.match(app.appid, /^wx[0-9a-f]{16}$/);
  return app;
}

const createUser = (nickname) => call('POST', 'admin/v1/users', ADMIN_TOKEN, { nickname });

async function wxLogin(user, appid) {
  const res = await call('POST', 'client/v1/wx/login', user.token, { appid });
  assert.equal(res.errMsg, 'login:ok', JSON.stringify(res));
  return res.code;
}

async function uploadSteps(user, steps, date) {
  const res = await call('POST', 'client/v1/steps', user.token, date ? { steps, date } : { steps });
  assert.equal(res.errMsg, 'steps:ok', JSON.stringify(res));
  return res;
}

async function getWeRunData(user, appid) {
  const res = await call('POST', 'client/v1/wx/getWeRunData', user.token, { appid, allow: true });
  assert.equal(res.errMsg, 'getWeRunData:ok', JSON.stringify(res));
  return res;
}

/** Unix seconds of the UTC+8 midnight of the day containing `nowMs`. */
function todayCnMidnight(nowMs = Date.now()) {
  const s = Math.floor(nowMs / 1000) + CN_OFFSET;
  return s - (s % DAY) - CN_OFFSET;
}

const cnDate = (ts) => new Date((ts + CN_OFFSET) * 1000).toISOString().slice(0, 10);

/** Steps today, 3 days ago and 30 days ago (the window's first day). -> Map(midnight -> steps). */
async function seedSteps(user) {
  const today = await uploadSteps(user, 8123);
  const t0 = today.timestamp;
  assert.equal(today.date, cnDate(t0));
  const expected = new Map([[t0, 8123]]);
  for (const [back, steps] of [[3, 4567], [30, 1000]]) {
    const res = await uploadSteps(user, steps, cnDate(t0 - back * DAY));
    assert.equal(res.timestamp, t0 - back * DAY);
    expected.set(res.timestamp, steps);
  }
  return expected;
}

/** The decrypted getWeRunData plaintext: 31 ascending UTC+8 midnights ending today, our steps, the watermark. */
function checkWeRun(data, appid, expected, startedMs) {
  const list = data.stepInfoList;
  assert.ok(Array.isArray(list), 'stepInfoList is an array');
  assert.equal(list.length, 31, `expected 31 stepInfoList entries, got ${list.length}`);
  const ts = list.map((s) => s.timestamp);
  for (let i = 1; i < ts.length; i++) {
    assert.equal(ts[i] - ts[i - 1], DAY, `days not ascending and consecutive at ${i}: ${ts[i - 1]} -> ${ts[i]}`);
  }
  const allowed = [todayCnMidnight(startedMs), todayCnMidnight()];
  assert.ok(allowed.includes(ts[30]), `last timestamp ${ts[30]} is not today's UTC+8 midnight ${allowed}`);
  for (const s of list) {
    assert.ok(Number.isInteger(s.step) && Number.isInteger(s.timestamp), JSON.stringify(s));
    const want = expected.get(s.timestamp) ?? 0;
    assert.equal(s.step, want, `day ${cnDate(s.timestamp)}: expected ${want} steps, got ${s.step}`);
  }
  for (const day of expected.keys()) assert.ok(ts.includes(day), `uploaded day ${cnDate(day)} missing`);
  assert.equal(data.watermark.appid, appid, 'watermark.appid');
  assert.ok(Number.isInteger(data.watermark.timestamp), 'watermark.timestamp is an integer');
  assert.ok(Math.abs(data.watermark.timestamp - Date.now() / 1000) < 300, 'watermark.timestamp is now');
}

/** /wxa/checksession's signature: hex(HMAC-SHA256(key = the session_key text, message = "")). */
const signature = (sessionKey) => crypto.createHmac('sha256', sessionKey).update('').digest('hex');

/** A tiny sequential runner: every check runs, each prints ok / not ok, the summary sets the exit code. */
function runner(name) {
  const results = [];
  return {
    async check(title, fn) {
      try {
        await fn();
        results.push(true);
        console.log(`ok - ${name}: ${title}`);
      } catch (e) {
        results.push(false);
        console.log(`not ok - ${name}: ${title}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n    ') : e}`);
      }
    },
    finish() {
      const passed = results.filter(Boolean).length;
      const failed = results.length - passed;
      console.log(`${name}: ${passed} passed, ${failed} failed`);
      process.exitCode = failed ? 1 : 0;
    },
  };
}

module.exports = {
  BASE, DAY, createApp, createUser, wxLogin, uploadSteps, getWeRunData, seedSteps, checkWeRun, signature,
  todayCnMidnight, cnDate, runner,
};
