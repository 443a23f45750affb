'use strict';
// co-wechat-api 3.11.0 + wechat-oauth 1.5.0, unmodified, against a yundong server
// (pointed at it as conformance/README.md describes).
//
// co-wechat-api is pointed at the server through its `prefix` / `snsPrefix` / `wxaPrefix` fields. wechat-oauth's
// getSessionKey hard-codes https://api.weixin.qq.com/sns/jscode2session, so its instance `request` (the urllib hook
// every call goes through) rewrites that host to the server, the same idea as wechatpy's transport adapter.
// Decryption uses wechat-oauth's WXBizDataCrypt (WeChat's official Node sample, with its watermark.appid check).
// Exits 1 if any check fails.

const assert = require('node:assert/strict');
const API = require('co-wechat-api');
const OAuth = require('wechat-oauth');
const WXBizDataCrypt = require('wechat-oauth/lib/wx_biz_data_crypt');
const { postJSON } = require('co-wechat-api/lib/util');
const h = require('./lib/harness');

const NAME = `co-wechat-api ${require('co-wechat-api/package.json').version} + `
  + `wechat-oauth ${require('wechat-oauth/package.json').version}`;

function coApi(appid, secret) {
  let stored = null;
  const api = new API(appid, secret, async () => stored, async (t) => { stored = t; });
  api.prefix = h.BASE + 'cgi-bin/';
  api.snsPrefix = h.BASE + 'sns/';
  api.wxaPrefix = h.BASE + 'wxa/';
  api.setOpts({ timeout: 10000 });
  return api;
}

function oauth(appid, secret) {
  const o = new OAuth(appid, secret, null, null, true); // isMiniProgram
  o.setOpts({ timeout: 10000 });
  o.request = function (url, opts, cb) {
    const local = url.replace(/^https:\/\/api\.weixin\.qq\.com\//, h.BASE);
    assert.notEqual(local, url, `wechat-oauth asked for an unexpected URL: ${url}`);
    return OAuth.prototype.request.call(this, local, opts, cb);
  };
  return o;
}

const getSessionKey = (o, code) => new Promise((resolve, reject) =>
  o.getSessionKey(code, (err, token) => (err ? reject(err) : resolve(token))));

/** co-wechat-api and wechat-oauth both throw Error with name 'WeChatAPIError' and the errcode as `code`. */
async function expectErrcode(code, promise) {
  try {
    const got = await promise;
    assert.fail(`expected errcode ${code}, call returned ${JSON.stringify(got)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.name, 'WeChatAPIError', `${e.name}: ${e.message}`);
    assert.equal(typeof e.code, 'number', `err.code is ${typeof e.code}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
}

async function main() {
  const started = Date.now();
  const r = h.runner(NAME);
  const created = await h.createApp(`conformance ${NAME}`);
  const APPID = created.appid, SECRET = created.secret;
  const user = await h.createUser("co-wechat-api runner");
  const expected = await h.seedSteps(user);
  const api = coApi(APPID, SECRET);
  const s = {};

  await r.check('access token (co-wechat-api ensureAccessToken via prefix), cached', async () => {
    const token = await api.ensureAccessToken();
    assert.equal(typeof token.accessToken, 'string');
    assert.ok(token.accessToken.length >= 16);
    const left = token.expireTime - Date.now();
    assert.ok(left > 7000 * 1000 && left <= 7200 * 1000, `expireTime ${left} ms ahead`);
    assert.equal((await api.ensureAccessToken()).accessToken, token.accessToken, 'cached token reused');
    s.token = token.accessToken;
  });

  await r.check('code2session with a fresh wx.login code (co-wechat-api code2Session via snsPrefix)', async () => {
    const code = await h.wxLogin(user, APPID);
    const sess = await api.code2Session(code);
    assert.equal(sess.openid.length, 28, JSON.stringify(sess));
    assert.match(sess.session_key, /^[A-Za-z0-9+/]{22}==$/);
    Object.assign(s, { code, sess });
  });

  await r.check('getWeRunData decrypted by WXBizDataCrypt: 31 days, ascending, today, steps, watermark', async () => {
    const payload = await h.getWeRunData(user, APPID);
    const data = new WXBizDataCrypt(APPID, s.sess.session_key).decryptData(payload.encryptedData, payload.iv);
    h.checkWeRun(data, APPID, expected, started);
    Object.assign(s, { payload, data });
  });

  await r.check('WXBizDataCrypt watermark appid mismatch throws "Invalid Watermark"', async () => {
    assert.throws(
      () => new WXBizDataCrypt('wx0000000000000000', s.sess.session_key).decryptData(s.payload.encryptedData, s.payload.iv),
      /Invalid Watermark/);
  });

  await r.check('reused code -> WeChatAPIError code 40163 (number), message `code been used, rid: …`', async () => {
    const e = await expectErrcode(40163, api.code2Session(s.code));
    assert.match(e.message, /^code been used, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/, e.message);
    s.usedRid = e.message.split(' rid: ')[1];
  });

  await r.check('bogus code -> WeChatAPIError code 40029 (number)', async () => {
    await expectErrcode(40029, api.code2Session('not-a-real-code-0123456789'));
  });

  await r.check('wrong secret -> WeChatAPIError code 40125 (number) at code2Session and at cgi-bin/token', async () => {
    const bad = coApi(APPID, '0'.repeat(32));
    await expectErrcode(40125, bad.code2Session(await h.wxLogin(user, APPID)));
    const e = await expectErrcode(40125, bad.ensureAccessToken());
    assert.match(e.message, /^invalid appsecret rid: [0-9a-f-]{26}$/, `cgi-bin: no comma before rid: ${e.message}`);
  });

  await r.check('rid/get (request + postJSON on prefix) answers the failed call with secrets masked; errors typed', async () => {
    const { accessToken } = await api.ensureAccessToken();
    const url = `${api.prefix}openapi/rid/get?access_token=${accessToken}`;
    const res = await api.request(url, postJSON({ rid: s.usedRid }));
    assert.equal(res.errcode, 0, JSON.stringify(res));
    assert.match(res.request.request_url, /(^|&)secret=\*\*\*(&|$)/, res.request.request_url);
    assert.match(res.request.request_url, /(^|&)js_code=\*\*\*(&|$)/, res.request.request_url);
    assert.ok(!res.request.request_url.includes(SECRET));
    await expectErrcode(76002, api.request(url, postJSON({ rid: 'nope' })));
    const e = await expectErrcode(76001, api.request(url, postJSON({ rid: '00000000-00000000-00000000' })));
    assert.match(e.message, /^rid not found, please check rid: /, e.message);
  });

  await r.check('parameters only where WeChat reads them: a JSON body to cgi-bin/token is 41002', async () => {
    await expectErrcode(41002, api.request(`${api.prefix}token`,
      postJSON({ grant_type: 'client_credential', appid: APPID, secret: SECRET })));
  });

  await r.check('checksession with the HMAC signature (co-wechat-api request on wxaPrefix)', async () => {
    const { accessToken } = await api.ensureAccessToken();
    const q = (sig) => new URLSearchParams({
      access_token: accessToken, openid: s.sess.openid, signature: sig, sig_method: 'hmac_sha256',
    });
    const ok = await api.request(`${api.wxaPrefix}checksession?${q(h.signature(s.sess.session_key))}`);
    assert.equal(Number(ok.errcode), 0, JSON.stringify(ok));
    await expectErrcode(87009, api.request(`${api.wxaPrefix}checksession?${q(h.signature('AAAAAAAAAAAAAAAAAAAAAA=='))}`));
    // Keyed with the 16 decoded bytes instead of the base64 text: 87009, as WeChat answers.
    const raw = require('node:crypto').createHmac('sha256', Buffer.from(s.sess.session_key, 'base64')).update('').digest('hex');
    await expectErrcode(87009, api.request(`${api.wxaPrefix}checksession?${q(raw)}`));
  });

  await r.check('getopendata with the cloudID returns the same WeRun data (co-wechat-api request + postJSON)', async () => {
    const { accessToken } = await api.ensureAccessToken();
    const res = await api.request(`${api.wxaPrefix}getopendata?access_token=${accessToken}`,
      postJSON({ cloudid_list: [s.payload.cloudID] }));
    assert.equal(res.data_list.length, 1, JSON.stringify(res));
    const item = JSON.parse(res.data_list[0].json);
    assert.equal(item.cloudID, s.payload.cloudID);
    assert.deepEqual(item.data, s.data);
  });

  await r.check('expired/unknown access_token -> co-wechat-api refreshes once on 40001 and succeeds', async () => {
    // A token the server never issued: 40001, co-wechat-api drops it, fetches a new one and retries (bounded at 3).
    const a = coApi(APPID, SECRET);
    await a.saveToken({ accessToken: 'bogus-token-not-issued', expireTime: Date.now() + 3600 * 1000 });
    const res = await a.request(`${a.wxaPrefix}getopendata?access_token=bogus-token-not-issued`,
      postJSON({ cloudid_list: [s.payload.cloudID] }));
    assert.equal(res.data_list.length, 1, JSON.stringify(res));
    assert.notEqual((await a.ensureAccessToken()).accessToken, 'bogus-token-not-issued');
  });

  await r.check('wechat-oauth (isMiniProgram): getSessionKey + decryptMiniProgramUser with appid check', async () => {
    const o = oauth(APPID, SECRET);
    const u = await h.createUser("wechat-oauth runner");
    const exp = await h.seedSteps(u);
    const token = await getSessionKey(o, await h.wxLogin(u, APPID));
    const sess = token.data;
    assert.equal(sess.openid.length, 28, JSON.stringify(sess));
    const payload = await h.getWeRunData(u, APPID);
    const data = o.decryptMiniProgramUser({ sessionKey: sess.session_key, encryptedData: payload.encryptedData, iv: payload.iv });
    h.checkWeRun(data, APPID, exp, started);
    const other = oauth('wx0000000000000000', SECRET);
    assert.throws(() => other.decryptMiniProgramUser({ sessionKey: sess.session_key, ...payload }), /Invalid Watermark/);
  });

  await r.check('wechat-oauth errcodes: bogus code 40029, wrong secret 40125 (WeChatAPIError, numeric code)', async () => {
    await expectErrcode(40029, getSessionKey(oauth(APPID, SECRET), 'not-a-real-code-0123456789'));
    await expectErrcode(40125, getSessionKey(oauth(APPID, '0'.repeat(32)), await h.wxLogin(user, APPID)));
  });

  r.finish();
}

main().catch((e) => { console.error(`${NAME}: harness error:`, e); process.exitCode = 1; });
