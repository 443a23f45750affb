// yundong's pages in headless Debian Chromium (playwright-core, no browser download), against a seeded server.
// run.sh starts the server, seeds it (seed.mjs) and passes the fixture in YUNDONG_FIXTURE.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { base, fx, loaded, phone, shot, signIn, useBrowser } from './phone.mjs';

const { me, red, wang, jie, lily, stranger } = fx.users;
useBrowser();

/** The nicknames of the ranking's rows, in order. */
async function rankingNames(page) {
  return page.$$eval('#list .rank-row .rank-name', (els) => els.map((e) => e.textContent));
}

async function likeState(page, userId) {
  const btn = page.locator(`#list .like[data-user-id="${userId}"]`);
  return {
    liked: (await btn.getAttribute('aria-pressed')) === 'true',
    count: Number(await btn.locator('.like-count').textContent()),
  };
}

async function noHorizontalScroll(page) {
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width}px wide on a 390px phone`);
}

describe('sign-in', () => {
  test('pages send a signed-out visitor to sign-in; a wrong token is refused; the right one signs in', async () => {
    const page = await phone({ expect401: true });
    await page.goto(`${base}/ui/ranking`);
    await page.waitForURL(`${base}/ui/?next=%2Fui%2Franking`);
    assert.equal(await page.locator('#list .rank-row').count(), 0);
    await page.fill('#token', 'not-a-token');
    await page.click('#submit');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /令牌无效/);
    await shot(page, '01-signin');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yundong.token')), null);

    await page.fill('#token', me.token);
    await page.click('#submit');
    await page.waitForURL(`${base}/ui/ranking`);
    await loaded(page);
    // The token lives in this tab's sessionStorage only: never in a cookie, never in localStorage.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yundong.token')), me.token);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.deepEqual(await page.context().cookies(), []);

    await page.goto(`${base}/ui/`);
    await page.waitForSelector('#home:not([hidden])');
    assert.equal(await page.textContent('#me-name'), '小明');
    await shot(page, '02-home');
    await page.click('[data-signout]');
    await page.waitForSelector('#signin:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yundong.token')), null);
    await page.done();
  });

  test('only same-site pages are followed after sign-in', async () => {
    const page = await phone();
    await page.goto(`${base}/ui/?next=${encodeURIComponent('https://evil.example/')}`);
    await page.fill('#token', me.token);
    await page.click('#submit');
    await page.waitForURL(`${base}/ui/ranking`);
    await page.done();
  });
});

describe('排行榜', () => {
  test('cover, order, check-in lines; friends only', async () => {
    const page = await phone();
    await signIn(page, me);
    await loaded(page);
    assert.equal(await page.textContent('#cover-caption .cover-text'), '小红占领了封面');
    assert.deepEqual(await rankingNames(page), ['小红', '阿杰', '小明', '老王', 'Lily']);
    const steps = await page.$$eval('#list .rank-steps', (els) => els.map((e) => Number(e.textContent)));
    assert.deepEqual(steps, [15230, 11020, 8000, 5012, 3300]);
    const ranks = await page.$$eval('#list .rank-no', (els) => els.map((e) => e.textContent));
    assert.deepEqual(ranks, ['1', '2', '3', '4', '5']);
    // 小红's latest check-in's first record, 阿杰's rope skipping.
    assert.match(await page.textContent(`#list .rank-row[data-user-id="${red.user_id}"] .rank-checkin`), /跑步 5\.20公里/);
    assert.match(await page.textContent(`#list .rank-row[data-user-id="${jie.user_id}"] .rank-checkin`), /跳绳 800个/);
    // My own row is pinned above the list too.
    assert.equal(await page.textContent('#mine .rank-name'), '小明');
    // The stranger (a friend of 小红, not of mine) is nowhere.
    assert.ok(!(await page.content()).includes('陌生人'));
    assert.deepEqual(await likeState(page, red.user_id), { liked: false, count: 2 });
    await noHorizontalScroll(page);
    await shot(page, '03-ranking');
    await shot(page, '03-ranking-full', { fullPage: true });
    await page.done();
  });

  test('a like changes the count and persists after reload; unliking takes it back', async () => {
    const page = await phone();
    await signIn(page, me);
    await loaded(page);
    assert.deepEqual(await likeState(page, wang.user_id), { liked: false, count: 0 });
    await page.click(`#list .like[data-user-id="${wang.user_id}"]`);
    await page.waitForSelector(`#list .like.liked[data-user-id="${wang.user_id}"]`);
    assert.deepEqual(await likeState(page, wang.user_id), { liked: true, count: 1 });
    assert.equal(page.url(), `${base}/ui/ranking`, 'the heart does not open the detail page');

    await page.reload();
    await loaded(page);
    assert.deepEqual(await likeState(page, wang.user_id), { liked: true, count: 1 });

    // My own rows (pinned and in the list) show the likes I got; they are not like buttons (no pressed state).
    assert.equal(await page.getAttribute(`#mine .like[data-user-id="${me.user_id}"]`, 'aria-pressed'), null);
    assert.equal(await page.getAttribute(`#list .like[data-user-id="${me.user_id}"]`, 'aria-pressed'), null);

    await page.click(`#list .like[data-user-id="${wang.user_id}"]`);
    await page.waitForSelector(`#list .like:not(.liked)[data-user-id="${wang.user_id}"]`);
    await page.reload();
    await loaded(page);
    assert.deepEqual(await likeState(page, wang.user_id), { liked: false, count: 0 });

    // 老王 likes my day; my ranking shows it on my own row.
    const other = await phone();
    await signIn(other, wang);
    await loaded(other);
    await other.click(`#list .like[data-user-id="${me.user_id}"]`);
    await other.waitForSelector(`#list .like.liked[data-user-id="${me.user_id}"]`);
    assert.deepEqual(await likeState(other, me.user_id), { liked: true, count: 1 });
    await other.done();
    await page.reload();
    await loaded(page);
    assert.equal(await page.textContent(`#mine .like[data-user-id="${me.user_id}"] .like-count`), '1');
    await page.done();
  });

  test('yesterday: the arrows move within the 31-day window', async () => {
    const page = await phone();
    await signIn(page, me);
    await loaded(page);
    assert.equal(await page.textContent('#date'), '今天');
    assert.ok(await page.locator('#next').isDisabled());
    await page.click('#prev');
    await page.waitForFunction(() => /date=/.test(location.search));
    assert.match(page.url(), /\/ui\/ranking\?date=\d{4}-\d{2}-\d{2}$/);
    assert.notEqual(await page.textContent('#date'), '今天');
    await page.reload();
    await loaded(page);
    assert.notEqual(await page.textContent('#date'), '今天', 'the day survives a reload');
    assert.ok(!(await page.locator('#next').isDisabled()));
    await page.done();
  });
});

describe('详情页', () => {
  test('my detail: 31 bars, today last, summary', async () => {
    const page = await phone();
    await signIn(page, me);
    await loaded(page);
    await page.click(`#mine .rank-row[data-user-id="${me.user_id}"]`);
    await page.waitForURL(`${base}/ui/detail?user_id=${me.user_id}`);
    await loaded(page);
    assert.equal(await page.getAttribute('body', 'data-loaded'), 'ok');
    assert.equal(await page.locator('#chart svg .bar').count(), 31);
    assert.equal(await page.locator('#chart svg .bar.today').count(), 1);
    const bars = await page.$$eval('#chart svg .bar', (els) => els.map((e) => ({ date: e.dataset.date, step: Number(e.dataset.step) })));
    assert.equal(bars[30].date, fx.today);
    assert.equal(bars[30].step, fx.todaySteps.me);
    assert.ok(bars.every((b, i) => i === 0 || b.date > bars[i - 1].date), 'ascending days');
    assert.equal(await page.textContent('#name'), '小明');
    assert.equal(await page.textContent('#today-steps'), '8,000');
    await noHorizontalScroll(page);
    await shot(page, '04-detail');
    await page.done();
  });

  test("a friend's detail shows their check-ins", async () => {
    const page = await phone();
    await signIn(page, me);
    await loaded(page);
    await page.click(`#list .rank-row[data-user-id="${red.user_id}"]`);
    await page.waitForURL(`${base}/ui/detail?user_id=${red.user_id}`);
    await loaded(page);
    assert.equal(await page.textContent('#name'), '小红');
    assert.equal(await page.locator('#chart svg .bar').count(), 31);
    const checkins = await page.$$eval('#checkins .checkin', (els) => els.map((e) => e.textContent));
    assert.equal(checkins.length, 1);
    assert.match(checkins[0], /悦跑打卡/);
    assert.match(checkins[0], /跑步5\.20公里/);
    assert.match(checkins[0], /锻炼消耗320千卡/);
    await shot(page, '05-detail-friend', { fullPage: true });
    await page.done();
  });

  test("nobody sees a non-friend's detail; the page shows nothing of them", async () => {
    const page = await phone();
    await signIn(page, me);
    await page.goto(`${base}/ui/detail?user_id=${stranger.user_id}`);
    await loaded(page);
    assert.equal(await page.getAttribute('body', 'data-loaded'), 'denied');
    assert.ok(await page.locator('#denied').isVisible());
    assert.ok(!(await page.locator('#content').isVisible()));
    assert.equal(await page.locator('#chart svg .bar').count(), 0);
    assert.ok(!(await page.content()).includes('陌生人'));
    await shot(page, '06-detail-denied');
    await page.done();

    // And the other way round: the stranger cannot open mine.
    const theirs = await phone();
    await signIn(theirs, stranger);
    await theirs.goto(`${base}/ui/detail?user_id=${me.user_id}`);
    await loaded(theirs);
    assert.equal(await theirs.getAttribute('body', 'data-loaded'), 'denied');
    assert.ok(!(await theirs.content()).includes('小明'));
    // Their ranking has only themselves and their friend 小红.
    await theirs.goto(`${base}/ui/ranking`);
    await loaded(theirs);
    assert.deepEqual(await rankingNames(theirs), ['陌生人', '小红']);
    await theirs.done();
  });

  test('a signed-out visitor cannot open a detail page', async () => {
    const page = await phone();
    await page.goto(`${base}/ui/detail?user_id=${me.user_id}`);
    await page.waitForURL(/\/ui\/\?next=/);
    assert.equal(await page.locator('#chart svg .bar').count(), 0);
    await page.done();
  });
});

describe('小程序模拟器', () => {
  test('login → authorize dialog → code2Session → getWeRunData decrypted → shareToWeRun → ranking', async () => {
    const page = await phone();
    await signIn(page, me);
    const fit = fx.apps.fit;
    await page.goto(`${base}/ui/simulator?appid=${fit.appid}&name=${encodeURIComponent(fit.name)}`);
    await page.waitForSelector('#mp:not([hidden])');
    assert.equal(await page.textContent('#mp-title'), '悦跑打卡');

    await page.click('#login');
    await page.waitForSelector('#login-result .errmsg');
    assert.equal(await page.textContent('#login-result .errmsg'), 'login:ok');
    const code = await page.textContent('#login-result dd[data-key="code"]');
    assert.ok(code.length >= 16, `a code: ${code}`);

    await page.click('#authorize');
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /获取你的微信运动步数/);
    assert.match(await dialog.textContent(), /悦跑打卡/);
    await shot(page, '07-sim-authorize');
    await dialog.locator('[data-answer="allow"]').click();
    await page.waitForSelector('#authorize-result .errmsg');
    assert.equal(await page.textContent('#authorize-result .errmsg'), 'authorize:ok');
    assert.match(await page.textContent('#authorize-result dd'), /^true/);

    // The mini program's back end: the code for a session_key, with the app secret.
    await page.fill('#secret', fit.secret);
    await page.click('#exchange');
    await page.waitForSelector('#exchange-result dd[data-key="session_key"]');
    const sessionKey = await page.textContent('#exchange-result dd[data-key="session_key"]');
    assert.match(sessionKey, /^[A-Za-z0-9+/]{22}==$/);
    assert.match(await page.textContent('#exchange-result dd[data-key="openid"]'), /^o/);

    // The phone's step sensor reports today's total.
    await page.fill('#steps', '9876');
    await page.click('#upload');
    await page.waitForSelector('#upload-result .errmsg');
    assert.equal(await page.textContent('#upload-result .errmsg'), 'steps:ok');

    await page.click('#werun');
    await page.waitForSelector('#decrypted, #decrypt-error, #werun-result .fail');
    assert.equal(await page.textContent('#werun-result .errmsg'), 'getWeRunData:ok');
    const encrypted = await page.textContent('#encrypted-data');
    assert.match(encrypted, /^[A-Za-z0-9+/]+=*$/);
    assert.ok(!encrypted.includes('stepInfoList'));
    assert.equal(await page.getAttribute('#decrypted-today', 'data-step'), '9876');
    const plain = JSON.parse(await page.textContent('#decrypted-json'));
    assert.equal(plain.stepInfoList.length, 31);
    assert.equal(plain.stepInfoList[30].step, 9876);
    assert.equal(plain.watermark.appid, fit.appid);
    await page.locator('#step-werun').scrollIntoViewIfNeeded();
    await shot(page, '08-sim-werun');

    await page.selectOption('#sport', '3001');
    await page.selectOption('#unit', 'distance');
    await page.fill('#value', '3000');
    await page.click('#add-record');
    await page.selectOption('#sport', '4002');
    await page.selectOption('#unit', 'number');
    await page.fill('#value', '50');
    await page.click('#add-record');
    assert.equal(await page.locator('#records li').count(), 2);
    await page.click('#share');
    const confirm = page.locator('[data-wx-dialog="shareToWeRun"]');
    await confirm.waitFor();
    const rows = await confirm.locator('.wx-record').allTextContents();
    assert.deepEqual(rows, ['跑步3.00 公里', '俯卧撑50 个']);
    await shot(page, '09-sim-share-confirm');
    await confirm.locator('[data-answer="confirm"]').click();
    await page.waitForSelector('#share-result .errmsg');
    assert.equal(await page.textContent('#share-result .errmsg'), 'shareToWeRun:ok');
    await shot(page, '10-sim-share-done');

    await page.click('#to-ranking');
    await page.waitForURL(`${base}/ui/ranking`);
    await loaded(page);
    const mine = page.locator(`#list .rank-row[data-user-id="${me.user_id}"]`);
    assert.equal(Number(await mine.locator('.rank-steps').textContent()), 9876);
    assert.match(await mine.locator('.rank-checkin').textContent(), /跑步 3\.00公里/);
    // 9,876 steps: still behind 小红 and 阿杰.
    assert.deepEqual(await rankingNames(page), ['小红', '阿杰', '小明', '老王', 'Lily']);
    await shot(page, '11-ranking-after-checkin');

    // The detail page lists the check-in too.
    await page.goto(`${base}/ui/detail`);
    await loaded(page);
    assert.match(await page.textContent('#checkins'), /俯卧撑50个/);
    await page.done();
  });

  test('a cancelled confirmation, a denied scope and an app without permission fail the WeChat way', async () => {
    const page = await phone();
    await signIn(page, lily);
    const fit = fx.apps.fit;
    const plain = fx.apps.plain;
    await page.goto(`${base}/ui/simulator?appid=${plain.appid}`);
    await page.waitForSelector('#mp:not([hidden])');
    // Deny in the dialog: getWeRunData fails with "auth deny", and later calls fail without asking again.
    await page.click('#werun');
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    await dialog.locator('[data-answer="deny"]').click();
    await page.waitForSelector('#werun-result .errmsg');
    assert.equal(await page.textContent('#werun-result .errmsg'), 'getWeRunData:fail auth deny');
    await page.click('#werun');
    await page.waitForFunction(() => document.querySelectorAll('#log .log-line').length >= 3);
    assert.equal(await page.locator('[data-wx-dialog="authorize"]').count(), 0);
    assert.equal(await page.textContent('#werun-result .errmsg'), 'getWeRunData:fail auth deny');

    // The settings page turns it back on.
    await page.click('#open-setting');
    const settings = page.locator('[data-wx-dialog="openSetting"]');
    await settings.waitFor();
    await settings.locator('.wx-setting-row').click();
    await shot(page, '12-sim-open-setting');
    await settings.locator('[data-answer="back"]').click();
    await page.waitForSelector('#authorize-result .errmsg');
    assert.equal(await page.textContent('#authorize-result .errmsg'), 'openSetting:ok');
    assert.match(await page.textContent('#authorize-result dd'), /^true/);
    // No wx.login + code2Session yet for this app: WeChat's "need login".
    await page.click('#werun');
    await page.waitForFunction(() => document.querySelector('#werun-result .errmsg')?.textContent !== 'getWeRunData:fail auth deny');
    assert.equal(await page.textContent('#werun-result .errmsg'), 'getWeRunData:fail need login');
    assert.equal(await page.textContent('#redo-hint'), '没有有效的登录态：请先完成第 1 步（wx.login）和第 3 步（code2Session），再重试。');

    // shareToWeRun from an app outside 体育-在线健身: refused before any dialog.
    await page.fill('#value', '30');
    await page.click('#add-record');
    await page.click('#share');
    await page.waitForSelector('#share-result .errmsg');
    assert.equal(await page.textContent('#share-result .errmsg'), 'shareToWeRun: fail has no permission');
    assert.equal(await page.locator('[data-wx-dialog="shareToWeRun"]').count(), 0);

    // From the fitness app, cancelling the dialog stores nothing.
    await page.fill('#appid', fit.appid);
    await page.click('#open-btn');
    await page.fill('#value', '30');
    await page.click('#add-record');
    await page.click('#share');
    await page.locator('[data-wx-dialog="shareToWeRun"] [data-answer="cancel"]').click();
    await page.waitForSelector('#share-result .errmsg');
    assert.equal(await page.textContent('#share-result .errmsg'), 'shareToWeRun:fail cancel');
    await page.goto(`${base}/ui/detail`);
    await loaded(page);
    assert.equal(await page.locator('#checkins .checkin').count(), 0);
    await page.done();
  });
});

describe('wx.js', () => {
  test('callbacks and promises, with the client API errMsg passed through unchanged', async () => {
    const page = await phone({ expect401: true });
    await signIn(page, jie);
    await page.goto(`${base}/ui/simulator`);
    const out = await page.evaluate(async ({ fit, plain }) => {
      const r = {};
      wx.yundong.configure({ appid: 'wx0000000000000000' });
      r.promiseFail = await wx.login().then(() => 'resolved', (e) => e);
      r.callback = await new Promise((resolve) => {
        const seen = [];
        const ret = wx.login({
          success: (res) => seen.push(['success', res.errMsg]),
          fail: (res) => seen.push(['fail', res.errMsg]),
          complete: (res) => resolve({ seen: [...seen, ['complete', res.errMsg]], ret }),
        });
        seen.push(['returned', typeof ret]);
      });
      wx.yundong.configure({ appid: fit.appid });
      const ok = await wx.login();
      r.login = { errMsg: ok.errMsg, hasCode: typeof ok.code === 'string' && ok.code.length > 0 };
      r.loginCallback = await new Promise((resolve) => wx.login({ success: (res) => resolve(res.errMsg) }));
      // A custom dialog answers for the user; its calls are counted.
      let asked = 0;
      wx.yundong.configure({ dialogs: { authorize: () => { asked++; return true; }, shareToWeRun: () => { asked += 100; return true; } } });
      r.noLogin = await wx.getWeRunData().catch((e) => e.errMsg);
      r.setting = (await wx.getSetting()).authSetting;
      r.asked = asked;
      // A record the dialog could not show never reaches the user.
      r.badRecord = await wx.shareToWeRun({ recordList: [{ typeId: 3001, distance: 10, time: 5 }] }).catch((e) => e.errMsg);
      wx.yundong.configure({ appid: plain.appid });
      r.noPermission = await wx.shareToWeRun({ recordList: [{ typeId: 1001, time: 30 }] }).catch((e) => e.errMsg);
      r.askedAfter = asked;
      r.invalidScope = await wx.authorize({ scope: 'scope.nope' }).catch((e) => e.errMsg);
      r.canIUse = [wx.canIUse('getWeRunData'), wx.canIUse('shareToWeRun'), wx.canIUse('nope')];
      r.account = wx.getAccountInfoSync().miniProgram.appId;
      // Without a token the client API's own 401 errMsg comes through.
      wx.yundong.configure({ token: 'bogus' });
      r.unauthorized = await wx.getSetting().catch((e) => e.errMsg);
      return r;
    }, { fit: fx.apps.fit, plain: fx.apps.plain });
    assert.deepEqual(out.promiseFail, { errMsg: 'login:fail invalid appid' });
    assert.deepEqual(out.callback.seen, [['returned', 'undefined'], ['fail', 'login:fail invalid appid'], ['complete', 'login:fail invalid appid']]);
    assert.deepEqual(out.login, { errMsg: 'login:ok', hasCode: true });
    assert.equal(out.loginCallback, 'login:ok');
    assert.equal(out.noLogin, 'getWeRunData:fail need login');
    assert.deepEqual(out.setting, { 'scope.werun': true });
    assert.equal(out.asked, 1);
    assert.match(out.badRecord, /^shareToWeRun:fail /);
    assert.equal(out.noPermission, 'shareToWeRun: fail has no permission');
    assert.equal(out.askedAfter, 1, 'no shareToWeRun dialog for a refused call');
    assert.equal(out.invalidScope, 'authorize:fail invalid scope');
    assert.deepEqual(out.canIUse, [true, true, false]);
    assert.equal(out.account, fx.apps.plain.appid);
    assert.match(out.unauthorized, /^getSetting:fail unauthorized/);
    await page.done();
  });
});

describe('聊天', () => {
  test('a card in a group opens in the simulator with a shareTicket; getShareInfo decrypts to openGId', async () => {
    const page = await phone();
    await signIn(page, me);
    await page.goto(`${base}/ui/chat`);
    await loaded(page);
    const chats = await page.$$eval('.chat-list .cell .chat-name', (els) => els.map((e) => e.textContent));
    assert.ok(chats.includes('周末跑团（3）'), chats.join());
    assert.ok(chats.includes('小红'), chats.join());
    await shot(page, '13-chat-list');
    await page.click(`.chat-list .cell[data-conversation-id="${fx.chats.group}"]`);
    await loaded(page);
    const card = page.locator(`.mp-card[data-message-id="${fx.chats.card}"]`);
    assert.match(await card.textContent(), /周末 10 公里挑战，一起来跑！/);
    assert.match(await card.textContent(), /本周已有 3 位好友参加/);
    await page.waitForSelector('.mp-card-thumb.loaded');
    assert.ok(await card.locator('img').evaluate((img) => img.naturalWidth === 250 && img.src.startsWith('blob:')));
    await shot(page, '14-chat-group');

    await card.click();
    await page.waitForURL(/\/ui\/simulator\?/);
    await page.waitForSelector('#launch:not([hidden])');
    assert.match(await page.textContent('#launch-info'), /pages\/challenge\/index\?id=42/);
    assert.match(await page.textContent('#launch-info'), /1044/);
    await page.click('#login');
    await page.waitForSelector('#login-result .errmsg');
    await page.fill('#secret', fx.apps.fit.secret);
    await page.click('#exchange');
    await page.waitForSelector('#exchange-result dd[data-key="session_key"]');
    await page.click('#shareinfo');
    await page.waitForSelector('#open-gid');
    assert.equal(await page.textContent('#shareinfo-result .errmsg'), 'getShareInfo:ok');
    const openGId = await page.textContent('#open-gid');
    assert.ok(openGId.length > 8, openGId);
    await page.locator('#step-shareinfo').scrollIntoViewIfNeeded();
    await shot(page, '15-sim-share-info');
    await page.done();
  });

  test('the simulator shares a card into a chat; a non-member cannot read that chat', async () => {
    const page = await phone();
    await signIn(page, me);
    const fit = fx.apps.fit;
    await page.goto(`${base}/ui/simulator?appid=${fit.appid}&name=${encodeURIComponent(fit.name)}`);
    await page.fill('#card-username', fit.original_id);
    await page.fill('#card-title', '我今天走了 9876 步');
    await page.click('#share-card');
    const picker = page.locator('[data-wx-dialog="chooseChat"]');
    await picker.waitFor();
    await shot(page, '16-sim-choose-chat');
    await picker.locator(`[data-conversation-id="${fx.chats.direct}"]`).click();
    await page.waitForSelector('#card-result .errmsg');
    assert.equal(await page.textContent('#card-result .errmsg'), 'shareMiniProgramMessage:ok');

    await page.goto(`${base}/ui/chat?c=${fx.chats.direct}`);
    await loaded(page);
    assert.match(await page.textContent('#thread'), /我今天走了 9876 步/);
    await page.waitForSelector('.bubble-row.mine .mp-card-thumb.loaded');
    await shot(page, '17-chat-direct');
    // Opening it from a direct chat: scene 1007 and no shareTicket.
    await page.locator('.bubble-row.mine .mp-card').last().click();
    await page.waitForSelector('#launch:not([hidden])');
    assert.match(await page.textContent('#launch-info'), /1007/);
    assert.ok(await page.locator('#step-shareinfo').isHidden());
    await page.done();

    const theirs = await phone();
    await signIn(theirs, stranger);
    await theirs.goto(`${base}/ui/chat?c=${fx.chats.direct}`);
    await loaded(theirs);
    assert.equal(await theirs.getAttribute('body', 'data-loaded'), 'error');
    assert.ok(!(await theirs.content()).includes('9876'));
    await theirs.done();
  });
});

describe('pages', () => {
  test('security headers on every page; unknown pages are 404', async () => {
    for (const path of ['/ui/', '/ui/ranking', '/ui/detail', '/ui/simulator', '/ui/chat', '/ui/wx.js']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy');
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.doesNotMatch(csp, /https?:|unsafe/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    }
    const res = await fetch(`${base}/ui/nope`);
    assert.equal(res.status, 404);
  });

  test('no page reaches another origin', async () => {
    const page = await phone();
    const foreign = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith('blob:') && !req.url().startsWith('data:')) foreign.push(req.url());
    });
    await signIn(page, me);
    for (const path of ['/ui/ranking', '/ui/detail', '/ui/simulator', '/ui/chat', `/ui/chat?c=${fx.chats.group}`]) {
      await page.goto(base + path);
      await page.waitForLoadState('networkidle');
      await noHorizontalScroll(page);
    }
    assert.deepEqual(foreign, []);
    await page.done();
  });
});

describe('我的设备', () => {
  test('bind a wristband by AppID, see it listed, unbind it; a non-device app is refused', async () => {
    const page = await phone();
    await signIn(page, lily, '/ui/detail');
    await loaded(page);
    await page.click('#devices-link');
    await page.waitForURL(`${base}/ui/devices`);
    await page.waitForSelector('body[data-loaded="devices"]');
    assert.match(await page.textContent('#devices'), /还没有绑定设备/);
    // An app without the device capability cannot be bound.
    await page.fill('#appid', fx.apps.plain.appid);
    await page.click('#bind-submit');
    await page.waitForFunction(() => document.getElementById('msg').textContent.length > 0);
    assert.equal(await page.textContent('#msg'), 'bind:fail app has no device capability');
    // The band can.
    await page.fill('#appid', fx.apps.band.appid);
    await page.click('#bind-submit');
    const row = page.locator(`#devices .device[data-appid="${fx.apps.band.appid}"]`);
    await row.waitFor();
    assert.equal(await row.locator('.device-name').textContent(), '乐动手环');
    await shot(page, 'devices-bound');
    await noHorizontalScroll(page);
    await row.locator('button').click();
    await page.waitForFunction(() => /还没有绑定设备/.test(document.getElementById('devices').textContent));
    assert.match(await page.textContent('#msg'), /已解除绑定：乐动手环/);
    await page.done();
  });
});
