'use strict';
// node-easywechat 3.6.2 (MiniApp), unmodified, against a yundong server: `http.baseURL` points every relative API
// path (token, stable_token, jscode2session, and generic client calls) at the server (as conformance/README.md
// describes). Decryption uses the SDK's own `getUtils().decryptSession` (MiniApp/Decryptor). Exits 1 if any check
// fails.

const assert = require('node:assert/strict');
const { MiniApp } = require('node-easywechat');
const h = require('./lib/harness');

const NAME = `node-easywechat ${require('node-easywechat/package.json').version}`;

/** Avoids the default FileCache, which writes into the CWD. */
class MemoryCache {
  constructor() { this.m = new Map(); }
  async get(k) { const e = this.m.get(k); return e && (!e.exp || e.exp > Date.now()) ? e.v : null; }
  async has(k) { return (await this.get(k)) !== null; }
  async set(k, v, ttl) { this.m.set(k, { v, exp: ttl ? Date.now() + ttl * 1000 : 0 }); return true; }
  async delete(k) { return this.m.delete(k); }
}

function miniApp(appid, secret, stable = false) {
  const app = new MiniApp({
    app_id: appid, secret,
    http: { baseURL: h.BASE, timeout: 10000 },
    use_stable_access_token: stable,
  });
  app.setCache(new MemoryCache());
  return app;
}

/** node-easywechat throws a plain Error with the response JSON in its message: the errcode in it must be a number. */
async function expectErrcode(code, promise) {
  let err = null;
  try {
    const got = await promise;
    assert.fail(`expected errcode ${code}, call returned ${JSON.stringify(got)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const m = /(\{.*\})/s.exec(err.message);
  assert.ok(m, `no JSON in the error message: ${err.message}`);
  const body = JSON.parse(m[1]);
  assert.equal(typeof body.errcode, 'number', `errcode is ${typeof body.errcode}: ${m[1]}`);
  assert.equal(body.errcode, code, err.message);
  // WeChat's text, then the rid: `, rid: ` on /sns/*, ` rid: ` (no comma) elsewhere; checked per call by the caller.
  assert.match(body.errmsg, / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  return body;
}

async function main() {
  const started = Date.now();
  const r = h.runner(NAME);
  const created = await h.createApp(`conformance ${NAME}`);
  const APPID = created.appid, SECRET = created.secret;
  const user = await h.createUser("node-easywechat runner");
  const expected = await h.seedSteps(user);
  const app = miniApp(APPID, SECRET);
  const s = {};

  await r.check('access token (GET cgi-bin/token via http.baseURL), cached', async () => {
    const at = app.getAccessToken();
    const token = await at.getToken();
    assert.equal(typeof token, 'string');
    assert.ok(token.length >= 16, token);
    assert.equal(await at.getToken(), token, 'a cached token must be reused');
    s.token = token;
  });

  await r.check('stable access token (POST cgi-bin/stable_token, force_refresh false/true)', async () => {
    const stableApp = miniApp(APPID, SECRET, true);
    const at = stableApp.getAccessToken();
    const first = await at.getToken();
    assert.equal(typeof first, 'string');
    assert.notEqual(first, s.token, 'stable and normal tokens are separate');
    assert.equal(await at.getStableAccessToken(false), first, 'normal mode returns the same stable token');
    const forced = await at.getStableAccessToken(true);
    assert.notEqual(forced, first, 'force_refresh issues a new token');
    // The new stable token works on an API call made through the SDK's token-aware client.
    const res = (await stableApp.getClient().postJson('wxa/getopendata', { cloudid_list: ['x'] })).toObject();
    assert.equal(res.errcode, 0, JSON.stringify(res));
  });

  await r.check('code2session with a fresh wx.login code (no access_token sent)', async () => {
    const code = await h.wxLogin(user, APPID);
    const sess = await app.getUtils().codeToSession(code);
    assert.equal(sess.openid.length, 28, JSON.stringify(sess));
    assert.match(sess.session_key, /^[A-Za-z0-9+/]{22}==$/);
    Object.assign(s, { code, sess });
  });

  await r.check('getWeRunData decrypted by getUtils().decryptSession: 31 days, ascending, today, steps, watermark', async () => {
    const payload = await h.getWeRunData(user, APPID);
    const data = app.getUtils().decryptSession(s.sess.session_key, payload.iv, payload.encryptedData);
    h.checkWeRun(data, APPID, expected, started);
    Object.assign(s, { payload, data });
  });

  await r.check('decryptSession with a wrong key fails (SDK has no appid check; checked by hand above)', async () => {
    assert.throws(() => app.getUtils().decryptSession('AAAAAAAAAAAAAAAAAAAAAA==', s.payload.iv, s.payload.encryptedData),
      /Fail to decrypt data/);
  });

  await r.check('reused code -> errcode 40163 (number) in the thrown Error, errmsg `code been used, rid: …`', async () => {
    const body = await expectErrcode(40163, app.getUtils().codeToSession(s.code));
    assert.match(body.errmsg, /^code been used, rid: /);
    s.usedRid = body.errmsg.split(' rid: ')[1];
  });

  await r.check('bogus code -> errcode 40029 (number)', async () => {
    await expectErrcode(40029, app.getUtils().codeToSession('not-a-real-code-0123456789'));
  });

  await r.check('wrong secret -> errcode 40125 (number) at code2session and at cgi-bin/token', async () => {
    const bad = miniApp(APPID, '0'.repeat(32));
    await expectErrcode(40125, bad.getUtils().codeToSession(await h.wxLogin(user, APPID)));
    const body = await expectErrcode(40125, bad.getAccessToken().getToken());
    assert.match(body.errmsg, /^invalid appsecret rid: /, 'cgi-bin errmsgs carry no comma before rid');
  });

  await r.check('rid/get (getClient().postJson) answers the failed call, js_code and secret masked', async () => {
    const res = (await app.getClient().postJson('cgi-bin/openapi/rid/get', { rid: s.usedRid })).toObject();
    assert.equal(res.errcode, 0, JSON.stringify(res));
    const url = res.request.request_url;
    assert.match(url, /js_code=\*\*\*/, url);
    assert.match(url, /secret=\*\*\*/, url);
    assert.ok(!url.includes(SECRET) && !url.includes(s.code), url);
    assert.equal(JSON.parse(res.request.response_body).errcode, 40163);
    const missing = (await app.getClient().postJson('cgi-bin/openapi/rid/get', { rid: '00000000-00000000-00000000' })).toObject();
    assert.equal(missing.errcode, 76001, JSON.stringify(missing));
  });

  await r.check('quota/get and clear_quota (getClient().postJson): counted, then reset', async () => {
    const q = (await app.getClient().postJson('cgi-bin/openapi/quota/get', { cgi_path: '/cgi-bin/token' })).toObject();
    assert.equal(q.errcode, 0, JSON.stringify(q));
    assert.ok(q.quota.used >= 1 && q.quota.daily_limit === 2000, JSON.stringify(q));
    const c = (await app.getClient().postJson('cgi-bin/clear_quota', { appid: APPID })).toObject();
    assert.deepEqual(c, { errcode: 0, errmsg: 'ok' });
    const after = (await app.getClient().postJson('cgi-bin/openapi/quota/get', { cgi_path: '/cgi-bin/token' })).toObject();
    assert.equal(after.quota.used, 0, JSON.stringify(after));
  });

  await r.check('checksession with the HMAC signature (getClient().get on wxa/checksession)', async () => {
    const params = { openid: s.sess.openid, signature: h.signature(s.sess.session_key), sig_method: 'hmac_sha256' };
    const ok = await app.getClient().get('wxa/checksession', { params });
    assert.equal(ok.toObject().errcode, 0, JSON.stringify(ok.toObject()));
    const bad = await app.getClient().get('wxa/checksession', {
      params: { ...params, signature: h.signature('AAAAAAAAAAAAAAAAAAAAAA==') },
    });
    assert.equal(bad.toObject().errcode, 87009, JSON.stringify(bad.toObject()));
    // Keyed with the 16 decoded bytes instead of the base64 text: WeChat refuses it, so do we.
    const raw = require('node:crypto').createHmac('sha256', Buffer.from(s.sess.session_key, 'base64')).update('').digest('hex');
    const rawKey = await app.getClient().get('wxa/checksession', { params: { ...params, signature: raw } });
    assert.equal(rawKey.toObject().errcode, 87009, JSON.stringify(rawKey.toObject()));
    // Parameters in a body are not read: the query lacks openid.
    const inBody = (await app.getClient().postJson('wxa/checksession', params)).toObject();
    assert.equal(inBody.errcode, 41009, JSON.stringify(inBody));
    // No isFailed() assertion: node-easywechat 3.6.2 applies its errcode judge only to text/* responses
    // (HttpClientResponse.isFailed), and docs/DESIGN.md §3.1 requires application/json.
  });

  await r.check('getopendata with the cloudID returns the same WeRun data (getClient().postJson)', async () => {
    const res = (await app.getClient().postJson('wxa/getopendata', { cloudid_list: [s.payload.cloudID] })).toObject();
    assert.equal(res.errcode, 0, JSON.stringify(res));
    assert.equal(res.data_list.length, 1);
    const item = JSON.parse(res.data_list[0].json);
    assert.equal(item.cloudID, s.payload.cloudID);
    assert.deepEqual(item.data, s.data);
  });

  r.finish();
}

main().catch((e) => { console.error(`${NAME}: harness error:`, e); process.exitCode = 1; });
