// `yundong/wx`: the package's wx.js is the server's /ui/wx.js byte for byte (as shipped and as served), the ESM entry
// exports the object wx.js defines, and that object works against a server (here from Node, whose fetch has no CORS;
// browser/tests/cross-origin.test.mjs runs it in Chromium from another origin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import wx, { wx as named } from 'yundong/wx';
import { startYundong } from 'yundong';
import { binary, code2Session, decrypt } from './helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ASSET = resolve(HERE, '..', '..', 'crates', 'yundong-server', 'assets', 'ui', 'wx.js');
const require = createRequire(import.meta.url);

test("the package's wx.js is the server's asset, byte for byte", async () => {
  const shipped = readFileSync(require.resolve('yundong/wx.js'));
  assert.ok(readFileSync(ASSET).equals(shipped), 'node/wx/wx.js differs from crates/yundong-server/assets/ui/wx.js: copy it again');
  const yd = await startYundong({ bin: binary() });
  try {
    const served = Buffer.from(await (await fetch(`${yd.url}/ui/wx.js`)).arrayBuffer());
    assert.ok(served.equals(shipped), 'the binary serves another wx.js than the package ships');
  } finally {
    await yd.stop();
  }
});

test('import wx from "yundong/wx" is the wx object (also set as globalThis.wx)', () => {
  assert.equal(named, wx);
  assert.equal(globalThis.wx, wx);
  for (const f of ['login', 'getWeRunData', 'shareToWeRun', 'getShareInfo', 'authorize', 'getSetting']) {
    assert.equal(typeof wx[f], 'function', f);
  }
  assert.equal(typeof wx.miniapp.shareMiniProgramMessage, 'function');
  assert.equal(typeof wx.yundong.configure, 'function');
});

test('wx.login → jscode2session → wx.getWeRunData through the package object, against a server', async () => {
  const yd = await startYundong({ bin: binary() });
  try {
    const app = await yd.createApp('wx from node');
    const user = await yd.createUser('小明');
    await yd.setSteps(user, 4321);
    // No page here to draw WeChat's dialog: the user's answer comes from a dialog replacement.
    const asked = [];
    wx.yundong.configure({
      base: yd.url,
      token: user.token,
      appid: app.appid,
      dialogs: { authorize: (info) => (asked.push(info.scope), true) },
    });
    const { code, errMsg } = await wx.login();
    assert.equal(errMsg, 'login:ok');
    const session = await code2Session(yd, app, code);
    const res = await wx.getWeRunData();
    assert.deepEqual(asked, ['scope.werun']);
    assert.equal(decrypt(session.session_key, res).stepInfoList[30].step, 4321);
    // Callback style, as WeChat's examples use it.
    const viaCallbacks = await new Promise((resolve) => {
      const ret = wx.getSetting({ success: resolve, fail: resolve });
      assert.equal(ret, undefined);
    });
    assert.equal(viaCallbacks.authSetting['scope.werun'], true);
  } finally {
    await yd.stop();
  }
});
