// Every method of the package against the real binary, each checked through what a back end sees (WeChat's wire
// format) or through the admin API, never only through the package itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startYundong, YundongError, findBinary } from 'yundong';
import { alive, binary, code2Session, decrypt } from './helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SMALL = join(ROOT, 'scenarios', 'small.yaml');

describe('startYundong', () => {
  test('starts a test-mode server on a loopback port, answers, and stop() ends it and removes its data', async () => {
    const yd = await startYundong({ bin: binary(), keepDataDir: false });
    assert.match(yd.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(yd.adminToken.length >= 32);
    assert.deepEqual(await (await fetch(`${yd.url}/healthz`)).json(), { status: 'ok' });
    assert.match(yd.output(), /test mode:/, 'started with --test-mode');
    assert.doesNotMatch(yd.output(), new RegExp(yd.adminToken), 'the admin token is never printed');
    const dataDir = yd._dataDir;
    assert.ok(existsSync(dataDir));
    const pid = yd.pid;
    assert.ok(alive(pid));
    await yd.stop();
    assert.ok(!alive(pid), 'the process is gone');
    assert.ok(!existsSync(dataDir), 'the data dir is removed');
    await yd.stop(); // twice is fine
  });

  test('YUNDONG_* settings of the calling process do not reach the server', async () => {
    const saved = process.env.YUNDONG_DATABASE_URL;
    process.env.YUNDONG_DATABASE_URL = 'postgres://nobody@127.0.0.1:1/nowhere';
    try {
      const yd = await startYundong({ bin: binary() });
      assert.match(yd.output(), /database: +sqlite:/);
      await yd.stop();
    } finally {
      if (saved === undefined) delete process.env.YUNDONG_DATABASE_URL;
      else process.env.YUNDONG_DATABASE_URL = saved;
    }
  });

  test('failures say why: no binary, and the server refusing its arguments', async () => {
    await assert.rejects(startYundong({ bin: '/nonexistent/yundong' }), (e) => e instanceof YundongError && /cannot run/.test(e.message));
    await assert.rejects(
      startYundong({ bin: binary(), utcOffset: 'nowhere' }),
      (e) => e instanceof YundongError && /exited .* before serving: .*--utc-offset must look like \+08:00/s.test(e.message)
    );
    assert.equal(findBinary('/x/y'), '/x/y');
    const saved = process.env.YUNDONG_BIN;
    process.env.YUNDONG_BIN = '/from/env';
    try {
      assert.equal(findBinary(), '/from/env');
    } finally {
      process.env.YUNDONG_BIN = saved;
    }
  });
});

describe('a server', () => {
  let yd;
  before(async () => {
    yd = await startYundong({ bin: binary() });
  });
  after(() => yd?.stop());

  test('createApp, createUser, setSteps, login, getWeRunData: the payload decrypts with the back end session_key', async () => {
    const app = await yd.createApp('跑步助手', { category: '体育-在线健身', werunShare: true });
    assert.match(app.appid, /^wx[0-9a-f]{16}$/);
    assert.match(app.secret, /^[0-9a-f]{32}$/);
    assert.match(app.original_id, /^gh_[0-9a-f]{12}$/);
    assert.equal(app.werun_share, true);
    const user = await yd.createUser('小明');
    assert.equal(user.nickname, '小明');
    assert.equal(typeof user.user_id, 'number');
    await yd.setSteps(user, 8000);
    await yd.setSteps(user, 5000, { daysAgo: 2 });

    const code = await yd.login(user, app);
    assert.equal(typeof code, 'string');
    const session = await code2Session(yd, app, code);
    assert.ok(session.session_key, JSON.stringify(session));
    const res = await yd.getWeRunData(user, app);
    assert.equal(res.errMsg, 'getWeRunData:ok');
    assert.equal(typeof res.cloudID, 'string');
    const plain = decrypt(session.session_key, res);
    const steps = plain.stepInfoList.map((d) => d.step);
    assert.equal(steps.length, 31);
    assert.equal(steps[30], 8000, 'today');
    assert.equal(steps[28], 5000, 'two days ago');
    assert.equal(steps[29], 0);
    assert.equal(plain.watermark.appid, app.appid);

    // scope.werun was granted (it was undecided), as the user answering the dialog "允许" would.
    const setting = await yd.client(user, 'GET', `/client/v1/wx/getSetting?appid=${app.appid}`);
    assert.equal(setting.authSetting['scope.werun'], true);

    // A reused code is refused by WeChat's rule (40163).
    assert.equal((await code2Session(yd, app, code)).errcode, 40163);
  });

  test('getWeRunData fails loudly (need login before jscode2session), and appids or tokens work as refs', async () => {
    const app = await yd.createApp('no session');
    const user = await yd.createUser('u');
    await assert.rejects(yd.getWeRunData(user.token, app.appid), (e) => {
      assert.ok(e instanceof YundongError);
      assert.equal(e.body.errMsg, 'getWeRunData:fail need login');
      return true;
    });
  });

  test('addFault: the next call fails with that errcode exactly `times` times, and requests() shows both calls', async () => {
    const app = await yd.createApp('faulty');
    const user = await yd.createUser('u');
    const rule = await yd.addFault('/sns/jscode2session', { errcode: -1, times: 1 });
    assert.match(rule.fault_id, /^f\d+$/);
    assert.equal(rule.times, 1);
    const code = await yd.login(user, app);
    const first = await code2Session(yd, app, code);
    assert.equal(first.errcode, -1, JSON.stringify(first));
    const second = await code2Session(yd, app, code);
    assert.ok(second.session_key, `the faulted call did not use up the code: ${JSON.stringify(second)}`);
    const [status] = await yd.faults();
    assert.equal(status.hits, 1);
    assert.equal(status.remaining, 0);

    const seen = await yd.requests({ path: '/sns/jscode2session', appid: app.appid });
    assert.deepEqual(seen.map((r) => r.errcode ?? 0), [-1, 0]);
    assert.equal(seen[0].fault_id, rule.fault_id);
    assert.ok(!JSON.stringify(seen).includes(app.secret), 'secrets are masked');
    assert.deepEqual(await yd.requests({ path: '/sns/jscode2session', after: seen[1].id }), []);
    assert.equal((await yd.clearFaults()).removed, 1);

    // camelCase options reach the server as its snake_case fields.
    const slow = await yd.addFault('/cgi-bin/token', { httpStatus: 503, errcode: 45009, times: 2 });
    assert.equal(slow.http_status, 503);
    assert.equal(slow.errcode, 45009);
  });

  test('advanceClock moves the deployment clock; sessions expire with it', async () => {
    const before = await yd.clock();
    const moved = await yd.advanceClock(3600);
    assert.ok(moved.now >= before.now + 3600 && moved.now < before.now + 3600 + 60, JSON.stringify({ before, moved }));
    assert.ok(moved.offset_seconds >= 3600);

    const app = await yd.createApp('clock');
    const user = await yd.createUser('u');
    await code2Session(yd, app, await yd.login(user, app));
    await yd.getWeRunData(user, app);
    await yd.advanceClock(3 * 86_400 + 60); // the session_key's idle life (3 days)
    await assert.rejects(yd.getWeRunData(user, app), (e) => e.body?.errMsg === 'getWeRunData:fail need login');
  });

  test('applyScenario takes a file path, a file URL, YAML text and an object', async () => {
    const applied = await yd.applyScenario(SMALL);
    assert.deepEqual(applied.apps.map((a) => a.appid), ['wx0123456789abcdef']);
    assert.deepEqual(applied.users.map((u) => u.key), ['ming', 'hong', 'gang']);
    // Idempotent: the same ids again.
    const again = await yd.applyScenario(pathToFileURL(SMALL));
    assert.deepEqual(again.users.map((u) => u.user_id), applied.users.map((u) => u.user_id));
    assert.ok(again.users.every((u) => !u.created));

    const text = await yd.applyScenario('users:\n  - {key: li, nickname: 小李, steps: [{days_ago: 0, steps: 4321}]}\n');
    assert.equal(text.users[0].key, 'li');
    assert.ok(text.users[0].token, 'a new user gets a generated token');
    const obj = await yd.applyScenario({ users: [{ key: 'zhao', nickname: '小赵' }] });
    assert.equal(obj.users[0].created, true);

    const dir = mkdtempSync(join(tmpdir(), 'yd-scenario-'));
    writeFileSync(join(dir, 'bad.yaml'), 'users:\n  - {key: x, nickname: ""}\n');
    await assert.rejects(yd.applyScenario(join(dir, 'bad.yaml')), (e) => e.status === 400 && /nickname/.test(e.message));

    // The scenario's fixed token works on the client API.
    const ranking = await yd.client('ydu_ming_0123456789abcdefghijklmnopqrstuv', 'GET', '/client/v1/werun/ranking');
    assert.equal(ranking.me.steps, 8000);
  });

  test('reset empties the deployment and rewinds the clock; {keepApps} keeps the apps', async () => {
    const app = await yd.createApp('kept');
    await yd.createUser('gone');
    await yd.advanceClock(60);
    const kept = await yd.reset({ keepApps: true });
    assert.equal(kept.kept_apps, true);
    assert.equal(kept.offset_seconds, 0);
    assert.equal((await yd.admin('GET', '/admin/v1/users')).total, 0);
    const apps = await yd.admin('GET', '/admin/v1/scenario');
    assert.ok(JSON.stringify(apps).includes(app.appid), 'the app is kept');

    const all = await yd.reset();
    assert.ok(all.apps_removed >= 1, JSON.stringify(all));
    assert.ok(!JSON.stringify(await yd.admin('GET', '/admin/v1/scenario')).includes(app.appid));
    assert.equal((await yd.clock()).offset_seconds, 0);
  });

  test('errors carry the status and the server answer', async () => {
    await assert.rejects(yd.createApp(''), (e) => {
      assert.ok(e instanceof YundongError);
      assert.equal(e.status, 400);
      assert.equal(e.body.error.code, 'invalid_request');
      assert.equal(e.method, 'POST');
      assert.equal(e.path, '/admin/v1/apps');
      return true;
    });
    await assert.rejects(yd.login('not-a-token-0123456789abcdef0123', 'wx0000000000000000'), (e) => e.status === 401);
  });
});
