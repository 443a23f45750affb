// WeChat's own example calls run verbatim through /ui/wx.js (issue 12 item 7; docs/WECHAT.md §10.8, sources
// [W-werun], [W-sharewerun], [W-miniapp-share]): getWeRunData's, shareToWeRun's and wx.miniapp.shareMiniProgramMessage's,
// plus getWeRunData's `timeout` option (base library 1.9.90). Each example's source below is WeChat's text; the only
// change is shareMiniProgramMessage's placeholder `'小程序原始id'`, replaced by the app's original id as the
// example's own comment says. A spy around the API records which callback WeChat's code was answered through.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { admin, api, base, community, fx, phone, shot, signIn, useBrowser } from './phone.mjs';

useBrowser();
const fit = fx.apps.fit;

// https://developers.weixin.qq.com/miniprogram/dev/api/open-api/werun/wx.getWeRunData.html, 示例代码
const GET_WERUN_DATA = `
wx.getWeRunData({
  success (res) {
    // 拿 encryptedData 到开发者后台解密开放数据
    const encryptedData = res.encryptedData
    // 或拿 cloudID 通过云调用直接获取开放数据
    const cloudID = res.cloudID
  }
})
`;

// https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/share-werun.html, 代码示例
const SHARE_TO_WERUN = `
wx.shareToWeRun({
  recordList: [{
    typeId: 4001,
    number: 180
  }, {
    typeId: 3001,
    distance: 100000
  }],
  success(res) {
    wx.showToast({
      title: '打卡成功',
    })
  },
  fail(res) {
    wx.showToast({
      icon: "none",
      title: '打卡失败',
    })
  }
})
`;

// https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/miniapp/api/miniapp/shareMiniProgramMessage.html,
// JSAPI 代码例子
const SHARE_MINI_PROGRAM_MESSAGE = `
wx.miniapp.shareMiniProgramMessage({
  // 注: 小程序原始id 不是小程序 appid，通常是 gh_xxx 开头的内容, 如 gh_d43f693ca31f
  userName: '小程序原始id',
  path: 'pages/index/index',
  title:'xxxx',
  imagePath: '/pages/thumb.png',
  webpageUrl: 'www.qq.com',
  withShareTicket: true,
  miniprogramType: 0,
  scene: 0,
  success(res) {
    wx.showToast({
      title: '成功:分享小程序',
    })
    console.log(res)
  },
  fail() {
    wx.showToast({
      title: '失败:分享小程序',
    })
  }
})
`;

/**
 * Start `source` (an example's text) in the page with a spy on `apiName` ('getWeRunData', 'miniapp.shareMiniProgramMessage');
 * `await settled()` gives {success, fail, complete} (the results each callback got, or undefined) once the call ended.
 * The example is evaluated as page script text, as it stands (not wrapped in a function of ours).
 */
async function start(page, apiName, source) {
  await page.evaluate((apiName) => {
    const path = apiName.split('.');
    const key = path.pop();
    const owner = path.reduce((o, k) => o[k], wx);
    const original = owner[key];
    window.__example = new Promise((resolve) => {
      owner[key] = function (opts) {
        owner[key] = original;
        const seen = {};
        for (const k of ['success', 'fail', 'complete']) {
          const f = opts[k];
          opts[k] = function (res) {
            seen[k] = res;
            try {
              if (typeof f === 'function') f.call(this, res);
            } finally {
              if (k === 'complete') resolve(seen);
            }
          };
        }
        return original.call(this, opts);
      };
    });
  }, apiName);
  await page.evaluate(source);
  return () => page.evaluate(() => window.__example);
}

/** A fresh user signed in, on the simulator page (which loads /ui/wx.js), acting for `app`. */
async function miniProgram(nickname, app = fit, opts = {}) {
  const [user] = await community(nickname);
  const page = await phone(opts);
  await signIn(page, user);
  await page.goto(`${base}/ui/simulator`);
  await page.evaluate((a) => wx.yundong.configure({ appid: a.appid, appName: a.name }), app);
  return { user, page };
}

/** wx.login in the page, then the back end's code2Session: the session_key. */
async function logIn(page, app = fit) {
  const { code } = await page.evaluate(() => wx.login());
  const q = new URLSearchParams({ appid: app.appid, secret: app.secret, js_code: code, grant_type: 'authorization_code' });
  const res = await (await fetch(`${base}/sns/jscode2session?${q}`)).json();
  assert.ok(res.session_key, JSON.stringify(res));
  return res.session_key;
}

function decrypt(sessionKey, res) {
  const d = createDecipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(res.iv, 'base64'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(res.encryptedData, 'base64')), d.final()]).toString('utf8'));
}

async function toast(page) {
  await page.waitForSelector('.wx-toast');
  return page.textContent('.wx-toast .wx-toast-title');
}

describe("WeChat's example calls, verbatim", () => {
  test('getWeRunData: the authorization dialog, then success with data the back end decrypts', async () => {
    const { page } = await miniProgram('示例步数');
    const sessionKey = await logIn(page);
    const settled = await start(page, 'getWeRunData', GET_WERUN_DATA);
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    await dialog.locator('[data-answer="allow"]').click();
    const seen = await settled();
    assert.equal(seen.fail, undefined, JSON.stringify(seen.fail));
    assert.equal(seen.success.errMsg, 'getWeRunData:ok');
    assert.equal(typeof seen.success.cloudID, 'string');
    const plain = decrypt(sessionKey, seen.success);
    assert.equal(plain.stepInfoList.length, 31);
    assert.equal(plain.watermark.appid, fit.appid);
    await page.done();
  });

  test('shareToWeRun: the confirmation dialog, then the example shows 打卡成功; without permission 打卡失败', async () => {
    const { user, page } = await miniProgram('示例打卡');
    let settled = await start(page, 'shareToWeRun', SHARE_TO_WERUN);
    const dialog = page.locator('[data-wx-dialog="shareToWeRun"]');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /跳绳.*180 个/s);
    assert.match(await dialog.textContent(), /跑步.*100\.00 公里/s);
    await dialog.locator('[data-answer="confirm"]').click();
    let seen = await settled();
    assert.equal(seen.success?.errMsg, 'shareToWeRun:ok', JSON.stringify(seen));
    assert.equal(await toast(page), '打卡成功');
    await shot(page, '40-example-share-to-werun');
    assert.deepEqual(
      seen.success.recordList.map((r) => [r.typeId, r.unit, r.value]),
      [[4001, 'number', 180], [3001, 'distance', 100000]],
    );
    const { body: detail } = await api('GET', '/client/v1/werun/detail', user.token);
    assert.deepEqual(detail.checkins.map((c) => c.id), [seen.success.checkInId], JSON.stringify(detail.checkins));

    // The same example for an app without the permission: WeChat's own errMsg, and the example's fail toast.
    await page.evaluate((a) => wx.yundong.configure({ appid: a.appid, appName: a.name }), fx.apps.plain);
    await page.waitForSelector('.wx-toast', { state: 'detached' });
    settled = await start(page, 'shareToWeRun', SHARE_TO_WERUN);
    seen = await settled();
    assert.equal(seen.success, undefined);
    assert.equal(seen.fail.errMsg, 'shareToWeRun: fail has no permission');
    assert.equal(await toast(page), '打卡失败');
    await page.done();
  });

  test("shareMiniProgramMessage: a code-package imagePath and 'www.qq.com' succeed; a network image fails", async () => {
    const { user, page } = await miniProgram('示例分享');
    const [friend] = await community('示例好友');
    const group = await admin('POST', '/admin/v1/groups', { name: '示例群', members: [user.user_id, friend.user_id] });
    assert.ok(group.status === 200 || group.status === 201, JSON.stringify(group.body));
    const conversation = group.body.conversation_id;
    const source = SHARE_MINI_PROGRAM_MESSAGE.replace("'小程序原始id'", `'${fit.original_id}'`);
    assert.notEqual(source, SHARE_MINI_PROGRAM_MESSAGE);

    let settled = await start(page, 'miniapp.shareMiniProgramMessage', source);
    const picker = page.locator('[data-wx-dialog="chooseChat"]');
    await picker.waitFor();
    await picker.locator(`[data-conversation-id="${conversation}"]`).click();
    let seen = await settled();
    assert.equal(seen.success?.errMsg, 'shareMiniProgramMessage:ok', JSON.stringify(seen));
    assert.equal(await toast(page), '成功:分享小程序');

    const { body } = await api('GET', `/client/v1/conversations/${conversation}/messages`, friend.token);
    assert.equal(body.messages.length, 1);
    const card = body.messages[0];
    assert.equal(card.webpageUrl, 'https://www.qq.com');
    assert.equal(card.path, 'pages/index/index');
    assert.match(card.imagePath, /^wxfile:\/\/tmp_[0-9a-f]{32}\.png$/);
    // The friend sees the card with yundong's placeholder thumbnail (200×160).
    const other = await phone();
    await signIn(other, friend);
    await other.goto(`${base}/ui/chat?c=${conversation}`);
    await other.waitForSelector('.mp-card-thumb.loaded');
    assert.equal(await other.locator('.mp-card img').evaluate((img) => `${img.naturalWidth}x${img.naturalHeight}`), '200x160');
    await shot(other, '41-example-share-card');
    await other.done();

    // A network image is what WeChat documents as unsupported: the example's fail toast, and no card.
    await page.waitForSelector('.wx-toast', { state: 'detached' });
    settled = await start(page, 'miniapp.shareMiniProgramMessage', source.replace("'/pages/thumb.png'", "'https://www.qq.com/thumb.png'"));
    await picker.waitFor();
    await picker.locator(`[data-conversation-id="${conversation}"]`).click();
    seen = await settled();
    assert.equal(seen.success, undefined);
    assert.match(seen.fail.errMsg, /^shareMiniProgramMessage:fail invalid imagePath: network images are not supported/);
    assert.equal(await toast(page), '失败:分享小程序');
    assert.equal((await api('GET', `/client/v1/conversations/${conversation}/messages`, friend.token)).body.messages.length, 1);
    await page.done();
  });
});

describe("getWeRunData's timeout option", () => {
  const SLOW_MS = 1500;
  /** Hold every getWeRunData request `ms` before it goes to the server: a slow answer. */
  const slow = (page, ms = SLOW_MS) =>
    page.route('**/client/v1/wx/getWeRunData', async (route) => {
      await new Promise((r) => setTimeout(r, ms));
      await route.continue().catch(() => {});
    });
  const call = (page, timeout, late = 0) =>
    page.evaluate(({ timeout, late }) => new Promise((resolve) => {
      const seen = [];
      wx.getWeRunData({
        timeout,
        success: (res) => seen.push(['success', res.errMsg]),
        fail: (res) => seen.push(['fail', res.errMsg]),
        complete: (res) => {
          seen.push(['complete', res.errMsg]);
          // Wait past the slow answer (`late` ms): a late answer must not call back again.
          setTimeout(() => resolve(seen), late);
        },
      });
    }), { timeout, late });

  test('a slow answer past the timeout fails with getWeRunData:fail timeout; a generous one, 0 or none succeed', async () => {
    const { page } = await miniProgram('超时测试');
    await logIn(page);
    await page.evaluate(() => {
      window.__auth = wx.authorize({ scope: 'scope.werun' });
    });
    await page.locator('[data-wx-dialog="authorize"] [data-answer="allow"]').click();
    assert.equal(await page.evaluate(() => window.__auth.then((r) => r.errMsg)), 'authorize:ok');

    assert.deepEqual(await call(page, 10_000), [['success', 'getWeRunData:ok'], ['complete', 'getWeRunData:ok']]);
    await slow(page);
    assert.deepEqual(await call(page, 100, SLOW_MS + 500), [['fail', 'getWeRunData:fail timeout'], ['complete', 'getWeRunData:fail timeout']]);
    assert.deepEqual(await call(page, 1, SLOW_MS + 500), [['fail', 'getWeRunData:fail timeout'], ['complete', 'getWeRunData:fail timeout']]);
    for (const none of [0, undefined, 'soon']) {
      assert.deepEqual(await call(page, none), [['success', 'getWeRunData:ok'], ['complete', 'getWeRunData:ok']], String(none));
    }
    // Promise style: rejects with the timeout.
    const promised = await page.evaluate(() => wx.getWeRunData({ timeout: 50 }).then((r) => r.errMsg, (e) => e.errMsg));
    assert.equal(promised, 'getWeRunData:fail timeout');
    await page.unroute('**/client/v1/wx/getWeRunData');
    await page.done();
  });

  test("the user's time in the authorization dialog does not count", async () => {
    const { page } = await miniProgram('授权超时');
    await logIn(page);
    const result = page.evaluate(() => wx.getWeRunData({ timeout: 300 }).then((r) => r.errMsg, (e) => e.errMsg));
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    await page.waitForTimeout(1000); // the user reads the dialog for longer than the timeout
    await dialog.locator('[data-answer="allow"]').click();
    assert.equal(await result, 'getWeRunData:ok');
    await page.done();
  });
});
