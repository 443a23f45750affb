// The console (/ui/console) in headless Debian Chromium: admin sign-in, the live request journal (filter, expand),
// fault rules from presets, the clock and reset. It runs against private servers of its own (started from the
// binary run.sh built), since it adds fault rules and resets a deployment, which the other files' server must not see.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phone, shot, useBrowser } from './phone.mjs';

useBrowser();
const ADMIN = `console-admin-${'0123456789abcdef'.repeat(2)}`;
const servers = [];
after(() => {
  for (const s of servers) {
    s.child.kill('SIGTERM');
    rmSync(s.dir, { recursive: true, force: true });
  }
});

/** A fresh `yundong serve --dev-clock` on a free port: {base, call(method, path, token, body)}. */
async function server() {
  const bin = process.env.YUNDONG_BIN_PATH;
  assert.ok(bin, 'run.sh exports YUNDONG_BIN_PATH');
  const dir = mkdtempSync(join(tmpdir(), 'yundong-console-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--dev-clock'], {
    env: { ...process.env, YUNDONG_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving on (http:\/\/\S+)/);
      if (m) resolve(m[1].replace(/\/$/, ''));
    });
    child.on('exit', (code) => reject(new Error(`yundong exited ${code}: ${out}`)));
  });
  servers.push({ child, dir });
  const call = async (method, path, token, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  return { base, call, admin: (method, path, body) => call(method, path, ADMIN, body) };
}

async function signInConsole(page, base) {
  await page.goto(`${base}/ui/console`);
  await page.fill('#admin-token', ADMIN);
  await page.click('#admin-submit');
  await page.waitForSelector('body[data-loaded]');
  await page.waitForSelector('#live.on');
}

describe('console', () => {
  test('sign-in, a preset fault, the faulted call live in the journal, filters, expand, delete', async () => {
    const s = await server();
    const page = await phone({ expect401: true });
    page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${s.base}/ui/console`);
    await page.fill('#admin-token', 'wrong-admin-token-0123456789abcdef-0123');
    await page.click('#admin-submit');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.match(await page.textContent('#signin-error'), /管理令牌无效/);
    assert.equal(await page.isHidden('#main'), true);
    await signInConsole(page, s.base);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'the token stays in sessionStorage');

    const app = (await s.admin('POST', '/admin/v1/apps', { name: '控制台' })).body;
    const user = (await s.admin('POST', '/admin/v1/users', { nickname: '小明' })).body;

    // "System busy once" on jscode2session for this app.
    await page.fill('#fault-path', '/sns/jscode2session');
    await page.fill('#fault-appid', app.appid);
    await page.click('[data-preset="busy"]');
    const rule = page.locator('#faults .fault');
    await rule.first().waitFor();
    const faultId = await rule.first().getAttribute('data-fault-id');
    assert.match(await rule.first().textContent(), /errcode -1.*剩余 1/);

    // A back end's login: the first exchange is faulted, the retry with the same code succeeds.
    const login = await s.call('POST', '/client/v1/wx/login', user.token, { appid: app.appid });
    const code = login.body.code;
    const exchange = () =>
      s.call('GET', `/sns/jscode2session?appid=${app.appid}&secret=${app.secret}&js_code=${code}&grant_type=authorization_code`);
    assert.equal((await exchange()).body.errcode, -1);
    assert.ok((await exchange()).body.session_key);

    // Both calls arrive live; the faulted one is marked, and its counters show on the rule.
    const calls = page.locator('#journal .call');
    await page.waitForFunction(() => document.querySelectorAll('#journal .call').length >= 2);
    const faulted = page.locator('#journal .call', { hasText: `故障 ${faultId}` });
    await faulted.waitFor();
    assert.match(await faulted.locator('.call-status').textContent(), /200 · -1/);
    await page.waitForFunction(() => /命中 1，剩余 0/.test(document.querySelector('#faults .fault').textContent));
    // Expand: the request and the answer, secrets masked.
    await faulted.locator('.call-head').click();
    const detail = await faulted.locator('.call-detail').textContent();
    assert.match(detail, /secret=\*\*\*&js_code=\*\*\*/);
    assert.match(detail, /system error, rid: /);
    assert.ok(!detail.includes(app.secret) && !detail.includes(code), 'no secret in the page');
    const served = calls.filter({ hasNotText: '故障' }).filter({ hasText: '/sns/jscode2session' });
    await served.first().locator('.call-head').click();
    assert.match(await served.first().locator('.call-detail').textContent(), /"session_key":"\*\*\*"/);
    await shot(page, 'console-01-journal', { fullPage: true });

    // Filters: errcode -1 leaves the faulted call only.
    await page.fill('#f-errcode', '-1');
    await page.click('#f-apply');
    await page.waitForFunction(() => document.querySelectorAll('#journal .call').length === 1);
    assert.match(await calls.first().textContent(), new RegExp(`故障 ${faultId}`));
    await page.fill('#f-errcode', '');
    await page.fill('#f-path', '/client/v1/wx/login');
    await page.click('#f-apply');
    await page.waitForSelector('#journal-empty:not([hidden])');
    assert.equal(await calls.count(), 0, 'client calls are not journaled without --journal-client');

    // Every preset adds its rule; delete removes one.
    for (const preset of ['ratelimit', 'token', 'slow', 'drop']) {
      await page.click(`[data-preset="${preset}"]`);
    }
    await page.waitForFunction(() => document.querySelectorAll('#faults .fault').length === 5);
    const rules = (await s.admin('GET', '/admin/v1/faults')).body.faults;
    assert.deepEqual(
      rules.map((f) => [f.errcode, f.delay_ms, f.drop, f.times]),
      [[-1, 0, false, 1], [45009, 0, false, null], [40001, 0, false, null], [null, 3000, false, null], [null, 0, true, null]],
    );
    await page.locator(`#faults .fault[data-fault-id="${faultId}"] .fault-delete`).click();
    await page.waitForFunction(() => document.querySelectorAll('#faults .fault').length === 4);
    assert.equal((await s.admin('GET', '/admin/v1/faults')).body.faults.length, 4);
    await page.done();
  });

  test('the clock moves forward from the page', async () => {
    const s = await server();
    const page = await phone();
    await signInConsole(page, s.base);
    const before = Number(await page.getAttribute('#clock-now', 'data-now'));
    await page.fill('#advance-seconds', '86400');
    await page.click('#advance');
    await page.waitForFunction((b) => Number(document.querySelector('#clock-now').dataset.now) >= b + 86400, before);
    assert.equal(await page.textContent('#clock-offset'), '86400');
    const clock = (await s.admin('GET', '/admin/v1/clock')).body;
    assert.equal(clock.offset_seconds, 86400);
    await page.done();
  });

  test('set the clock and reset from the page', async () => {
    const s = await server();
    const probe = await s.admin('GET', '/admin/v1/clock');
    const page = await phone();
    await signInConsole(page, s.base);
    const app = (await s.admin('POST', '/admin/v1/apps', { name: '保留' })).body;
    await s.admin('POST', '/admin/v1/users', { nickname: '清掉' });
    await s.admin('POST', '/admin/v1/faults', { path: '/cgi-bin/token', errcode: -1 });
    const target = new Date((probe.body.now + 7 * 86400) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    await page.fill('#set-at', target);
    await page.click('#set');
    await page.waitForFunction((t) => document.querySelector('#clock-now').textContent.startsWith(t.slice(0, 16)), target);
    page.once('dialog', (d) => d.accept());
    await page.click('#reset-keep');
    await page.waitForFunction(() => document.querySelector('#clock-msg').textContent === '已重置');
    assert.equal((await s.admin('GET', '/admin/v1/faults')).body.faults.length, 0, 'reset clears the fault rules');
    assert.equal((await s.admin('GET', '/admin/v1/requests')).body.requests.length, 0, 'and the journal');
    assert.equal((await s.admin('GET', '/admin/v1/users')).body.users.length, 0);
    const apps = await s.call('GET', `/cgi-bin/token?grant_type=client_credential&appid=${app.appid}&secret=${app.secret}`);
    assert.ok(apps.body.access_token, 'keep: apps keeps the app and its secret');
    await page.waitForSelector('#faults-empty:not([hidden])');
    await page.done();
  });
});
