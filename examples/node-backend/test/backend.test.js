'use strict';
// The back end's tests, against a real (local) WeChat: yundong, started once for the file by the `yundong` package
// (`npm install --save-dev yundong`) and reset before each test.
const { after, before, beforeEach, test } = require('node:test');
const assert = require('node:assert/strict');
const { startYundong } = require('yundong');
const { createApp } = require('../app');

const DAY = 86_400;
let yd;
let backend; // {url, post(path, body, token)}
let miniProgram;
let ming;

before(async () => {
  yd = await startYundong();
});
after(() => yd.stop());

beforeEach(async () => {
  await yd.reset();
  miniProgram = await yd.createApp('步数打卡');
  ming = await yd.createUser('小明');
  // Our back end, pointed at yundong instead of https://api.weixin.qq.com.
  const app = createApp({ appid: miniProgram.appid, secret: miniProgram.secret, apiBase: yd.url, stepGoal: 10_000 });
  await backend?.close();
  backend = await listen(app);
});
after(() => backend?.close());

async function listen(app) {
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    close: () => new Promise((resolve) => server.close(resolve)),
    async post(path, body = {}, token) {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}

/** What the mini program does at launch: wx.login, then our /login with the code → our session token. */
async function logIn(user) {
  const code = await yd.login(user, miniProgram);
  const res = await backend.post('/login', { code });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.token;
}

/** wx.getWeRunData on the phone, then our /werun with what it returned. */
async function uploadWeRun(user, token) {
  const { encryptedData, iv } = await yd.getWeRunData(user, miniProgram);
  return backend.post('/werun', { encryptedData, iv }, token);
}

/** Today (or daysAgo before it) on yundong's clock, as WeRun dates days: YYYY-MM-DD in UTC+8. */
async function today(daysAgo = 0) {
  const { now } = await yd.clock();
  return new Date((now - daysAgo * DAY + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

test('log in, upload WeRun data, check in', async () => {
  await yd.setSteps(ming, 12_000);
  await yd.setSteps(ming, 4_000, { daysAgo: 1 });
  const token = await logIn(ming);

  const res = await uploadWeRun(ming, token);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { date: await today(), steps: 12_000, days: 31 });

  const checkin = await backend.post('/checkin', {}, token);
  assert.equal(checkin.status, 200, JSON.stringify(checkin.body));
  assert.deepEqual(checkin.body, { date: await today(), steps: 12_000, streak: 1, already: false });
  assert.equal((await backend.post('/checkin', {}, token)).body.already, true);
});

test('a streak of check-ins across days', async () => {
  const token = await logIn(ming);
  for (let day = 0; day < 3; day++) {
    await yd.setSteps(ming, 10_000 + day);
    assert.equal((await uploadWeRun(ming, token)).status, 200);
    const res = await backend.post('/checkin', {}, token);
    assert.equal(res.body.streak, day + 1, JSON.stringify(res.body));
    await yd.advanceClock(DAY); // tomorrow; the session is used every day, so it stays alive
  }
  // The access token node-easywechat cached lives 7,200 s on WeChat's (here: yundong's) clock: each new day it was
  // refused (42001) and fetched again.
  const tokens = await yd.requests({ path: '/cgi-bin/token' });
  assert.equal(tokens.length, 3, JSON.stringify(tokens.map((t) => t.errcode)));
  const expired = await yd.requests({ path: '/wxa/checksession', errcode: 42001 });
  assert.equal(expired.length, 2);
});

test('no check-in below the goal', async () => {
  await yd.setSteps(ming, 9_999);
  const token = await logIn(ming);
  await uploadWeRun(ming, token);
  const res = await backend.post('/checkin', {}, token);
  assert.equal(res.status, 409);
  assert.deepEqual(res.body, { error: 'goal_not_reached', steps: 9_999, goal: 10_000 });
});

test('a reused code is refused (40163)', async () => {
  const code = await yd.login(ming, miniProgram);
  assert.equal((await backend.post('/login', { code })).status, 200);
  const res = await backend.post('/login', { code });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: 'code_used' });
  const calls = await yd.requests({ path: '/sns/jscode2session' });
  assert.deepEqual(calls.map((c) => c.errcode), [null, 40163]);
});

test('an unknown code is refused (40029)', async () => {
  const res = await backend.post('/login', { code: '0'.repeat(32) });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: 'invalid_code' });
});

test('a WeChat system error (-1) is retried once', async () => {
  await yd.addFault('/sns/jscode2session', { errcode: -1, times: 1 });
  const code = await yd.login(ming, miniProgram);
  const res = await backend.post('/login', { code });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const calls = await yd.requests({ path: '/sns/jscode2session' });
  assert.deepEqual(calls.map((c) => c.errcode), [-1, null], 'one failure, one successful retry');
  assert.ok(calls[0].fault_id);
});

test('two system errors in a row: the back end gives up, and the code still works later', async () => {
  await yd.addFault('/sns/jscode2session', { errcode: -1, times: 2 });
  const code = await yd.login(ming, miniProgram);
  const res = await backend.post('/login', { code });
  assert.equal(res.status, 503);
  assert.deepEqual(res.body, { error: 'wechat_busy' });
  assert.deepEqual((await yd.requests({ path: '/sns/jscode2session' })).map((c) => c.errcode), [-1, -1]);
  // The faulted calls did not use the code up: the user's next try with it works.
  assert.equal((await backend.post('/login', { code })).status, 200);
});

test('the session expires after three idle days', async () => {
  await yd.setSteps(ming, 15_000);
  let token = await logIn(ming);
  assert.equal((await uploadWeRun(ming, token)).status, 200);

  await yd.advanceClock(3 * DAY + 60); // WeChat's session_key expires after 3 idle days (yundong's default)

  const res = await backend.post('/checkin', {}, token);
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, { error: 'session_expired' });
  assert.deepEqual((await backend.post('/checkin', {}, token)).body, { error: 'not_logged_in' });
  // The phone sees it too: wx.getWeRunData needs a new wx.login first.
  await assert.rejects(yd.getWeRunData(ming, miniProgram), (e) => e.body.errMsg === 'getWeRunData:fail need login');

  token = await logIn(ming);
  await yd.setSteps(ming, 11_000);
  const again = await uploadWeRun(ming, token);
  assert.deepEqual([again.body.steps, again.body.date], [11_000, await today()]);
  assert.equal((await backend.post('/checkin', {}, token)).status, 200);
});

test('/werun needs a login', async () => {
  const res = await backend.post('/werun', { encryptedData: 'x', iv: 'y' });
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, { error: 'not_logged_in' });
});

test("WeRun data of another user's session is refused", async () => {
  const token = await logIn(ming);
  const payload = await yd.getWeRunData(ming, miniProgram);
  const hong = await yd.createUser('小红');
  const other = await logIn(hong);
  const body = { encryptedData: payload.encryptedData, iv: payload.iv };
  const res = await backend.post('/werun', body, other);
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: 'invalid_werun_data' });
  assert.equal((await backend.post('/werun', body, token)).status, 200);
});
