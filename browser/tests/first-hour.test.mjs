// What a new user trips over in the pages (issue 15): settings, who liked me, liking from a friend's detail page,
// the pinned navbar, day switching with loading and failure states, no fake ranks on an empty day, an expired
// sign-in, the simulator's app picker and step numbers, an expired session_key, and empty chats that name the command
// that fills them. Tests that change a user's switches make their own users (community()), so other tests never see
// those changes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, api, base, community, fx, loaded, phone, shot, signIn, useBrowser } from './phone.mjs';

const { me, red, wang } = fx.users;
useBrowser();

const rows = (page, sel = '#list') => page.$$eval(`${sel} .rank-row .rank-name`, (els) => els.map((e) => e.textContent));

describe('设置', () => {
  test('加入排行榜, hiding from one friend and WeRun off all take effect, and can be undone', async () => {
    const [a, b, c] = await community('设置甲', '设置乙', '设置丙');
    const page = await phone();
    await signIn(page, a);
    await page.click('#go-settings');
    await page.waitForURL(`${base}/ui/settings`);
    await loaded(page);
    assert.ok(await page.isChecked('#join-ranking'));
    assert.ok(await page.isChecked('#werun'));
    const friends = await page.$$eval('#friends .friend-row .switch-text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(friends, ['设置乙', '设置丙']);
    await shot(page, '20-settings');

    // Hide from 乙 only: 乙's ranking loses 甲, 丙's keeps it.
    const saved = async () => page.waitForFunction((n) => Number(document.body.dataset.saved || 0) > n, Number((await page.getAttribute('body', 'data-saved')) || 0));
    let wait = saved();
    await page.click(`#friends .switch[data-user-id="${b.user_id}"]`);
    await wait;
    const names = async (u) => (await api('GET', '/client/v1/werun/ranking', u.token)).body.ranking.map((e) => e.nickname);
    assert.deepEqual(await names(b), ['设置乙']);
    assert.deepEqual((await names(c)).sort(), ['设置丙', '设置甲'].sort());

    // Leave the ranking: 丙 no longer sees 甲; 甲's own ranking says so.
    wait = saved();
    await page.click('#join-ranking');
    await wait;
    assert.deepEqual(await names(c), ['设置丙']);
    await page.goto(`${base}/ui/ranking`);
    await loaded(page);
    assert.match(await page.textContent('#foot'), /你已关闭“加入排行榜”/);

    // WeRun off: the ranking says so and leads to the settings, where it is switched back on.
    await page.goto(`${base}/ui/settings`);
    await loaded(page);
    wait = saved();
    await page.click('#werun');
    await wait;
    await page.goto(`${base}/ui/ranking`);
    await loaded(page);
    assert.equal(await page.textContent('#list .empty-title'), '你已关闭微信运动');
    await shot(page, '21-ranking-werun-off');
    await page.click('#to-settings');
    await loaded(page);
    wait = saved();
    await page.click('#werun');
    await wait;
    wait = saved();
    await page.click('#join-ranking');
    await wait;
    wait = saved();
    await page.click(`#friends .switch[data-user-id="${b.user_id}"]`);
    await wait;
    assert.deepEqual((await names(b)).sort(), ['设置乙', '设置甲'].sort());
    assert.equal((await api('GET', '/client/v1/werun/settings', a.token)).body.werun, true);
    await page.done();
  });

  test('a switch that cannot be saved goes back and says why, in Chinese', async () => {
    const [a] = await community('断网甲', '断网乙');
    const page = await phone({ expectNetworkErrors: true });
    await signIn(page, a, '/ui/settings');
    await loaded(page);
    await page.route('**/client/v1/werun/settings', (route) => (route.request().method() === 'POST' ? route.abort('failed') : route.continue()));
    await page.click('#join-ranking');
    await page.waitForSelector('.toast.show');
    assert.equal(await page.textContent('.toast'), '设置失败：网络错误，请检查网络连接后重试');
    assert.ok(await page.isChecked('#join-ranking'), 'the switch went back');
    assert.equal((await api('GET', '/client/v1/werun/settings', a.token)).body.join_ranking, true);
    await page.done();
  });
});

describe('点赞', () => {
  test("who liked me (ranking and my detail), and a like button on a friend's detail page", async () => {
    const [a, b, c] = await community('被赞者', '点赞乙', '点赞丙');
    await api('POST', '/client/v1/steps', a.token, { steps: 6000 });
    for (const u of [b, c]) {
      const r = await api('POST', '/client/v1/werun/like', u.token, { user_id: a.user_id, liked: true });
      assert.equal(r.body.errMsg, 'like:ok');
    }
    const page = await phone();
    await signIn(page, a);
    await loaded(page);
    assert.equal(await page.textContent(`#mine .like[data-user-id="${a.user_id}"] .like-count`), '2');
    await page.click(`#mine .like[data-user-id="${a.user_id}"]`);
    await page.waitForSelector('#likers[data-loaded="ok"]');
    const likers = await page.$$eval('#likers .liker-name', (els) => els.map((e) => e.textContent).sort());
    assert.deepEqual(likers, ['点赞丙', '点赞乙'].sort());
    assert.equal(page.url(), `${base}/ui/ranking`, 'my own heart opens the list, not my detail page');
    await shot(page, '22-who-liked-me');
    await page.click('.sheet-close');
    await page.goto(`${base}/ui/detail`);
    await loaded(page);
    await page.waitForSelector('#likers[data-loaded="ok"]');
    assert.equal(await page.locator('#likers .liker').count(), 2);
    assert.equal(await page.locator('#detail-like').count(), 0, 'no like button on my own page');
    await page.done();

    // 乙 on 甲's detail page: the heart shows 乙's like and the count; tapping takes the like back.
    const other = await phone();
    await signIn(other, b);
    await other.goto(`${base}/ui/detail?user_id=${a.user_id}`);
    await loaded(other);
    await other.waitForSelector('#detail-like');
    assert.equal(await other.getAttribute('#detail-like', 'aria-pressed'), 'true');
    assert.equal(await other.textContent('#detail-like .like-count'), '2');
    await shot(other, '23-detail-friend-like');
    await other.click('#detail-like');
    await other.waitForSelector('#detail-like[aria-pressed="false"]');
    assert.equal(await other.textContent('#detail-like .like-count'), '1');
    assert.equal(await other.locator('#likers-card:not([hidden])').count(), 0, "a friend's page does not list my likers");
    await other.done();
    const left = (await api('GET', '/client/v1/werun/likes', a.token)).body.likers.map((l) => l.nickname);
    assert.deepEqual(left, ['点赞丙']);
  });

  test('a like with the server unreachable says so in Chinese and changes nothing', async () => {
    const page = await phone({ expectNetworkErrors: true });
    await signIn(page, me);
    await loaded(page);
    const before = Number(await page.textContent(`#list .like[data-user-id="${wang.user_id}"] .like-count`));
    await page.route('**/client/v1/werun/like', (route) => route.abort('failed'));
    await page.click(`#list .like[data-user-id="${wang.user_id}"]`);
    await page.waitForSelector('.toast.show');
    const toast = await page.textContent('.toast');
    assert.equal(toast, '点赞失败：网络错误，请检查网络连接后重试');
    assert.doesNotMatch(toast, /Failed to fetch/);
    assert.equal(Number(await page.textContent(`#list .like[data-user-id="${wang.user_id}"] .like-count`)), before);
    assert.equal(await page.getAttribute(`#list .like[data-user-id="${wang.user_id}"]`, 'aria-pressed'), 'false');
    await shot(page, '24-like-network-error');
    await page.done();
  });
});

describe('排行榜 states', () => {
  test('switching days: a loading state, never the old rows under the new date, a Chinese error with a retry', async () => {
    const page = await phone({ expectNetworkErrors: true });
    await signIn(page, me);
    await loaded(page);
    assert.ok((await rows(page)).length > 1);

    // A slow answer: the new date shows at once over a loading line, with no rows of the old day.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/client/v1/werun/ranking?date=*', async (route) => {
      await held;
      await route.continue();
    });
    await page.click('#prev');
    await page.waitForSelector('#list .loading');
    assert.notEqual(await page.textContent('#date'), '今天');
    assert.deepEqual(await rows(page), []);
    assert.deepEqual(await rows(page, '#mine'), []);
    assert.equal(await page.getAttribute('body', 'aria-busy'), 'true');
    await shot(page, '25-ranking-loading');
    release();
    await page.waitForSelector('#list .rank-row');
    const yesterday = await page.textContent('#date');
    await page.unroute('**/client/v1/werun/ranking?date=*');

    // The server unreachable: the day before's header, an error and a retry, and no rows at all.
    await page.route('**/client/v1/werun/ranking?date=*', (route) => route.abort('failed'));
    await page.click('#prev');
    await page.waitForSelector('.error-state');
    const dayBefore = await page.textContent('#date');
    assert.notEqual(dayBefore, yesterday);
    assert.deepEqual(await rows(page), []);
    assert.deepEqual(await rows(page, '#mine'), []);
    assert.equal(await page.textContent('.error-state .empty-title'), '排行榜暂时无法显示');
    assert.equal(await page.textContent('.error-state .error-reason'), '网络错误，请检查网络连接后重试');
    await shot(page, '26-ranking-offline');
    await page.unroute('**/client/v1/werun/ranking?date=*');
    await page.click('.btn-retry');
    await page.waitForSelector('#list .rank-row');
    assert.equal(await page.textContent('#date'), dayBefore, 'the retry loads the day the header shows');
    await page.done();
  });

  test('the navbar stays pinned while the ranking scrolls', async () => {
    const page = await phone();
    await page.setViewportSize({ width: 390, height: 520 });
    await signIn(page, me);
    await loaded(page);
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement.scrollHeight));
    await page.waitForFunction(() => window.scrollY > 200);
    await page.waitForSelector('.navbar.navbar-solid');
    const box = await page.locator('.navbar').boundingBox();
    assert.equal(box.y, 0, 'the navbar is at the top of the viewport');
    const onTop = await page.evaluate(() => {
      const el = document.elementFromPoint(195, 22);
      return !!el && !!el.closest('.navbar');
    });
    assert.ok(onTop, 'nothing covers the navbar');
    await shot(page, '27-ranking-scrolled');
    await page.done();
  });

  test('a day nobody has walked yet: no "rank 1" for everyone, no cover', async () => {
    const [a] = await community('无步数甲', '无步数乙', '无步数丙');
    const page = await phone();
    await signIn(page, a);
    await loaded(page);
    const ranks = await page.$$eval('#list .rank-no', (els) => els.map((e) => e.textContent));
    assert.deepEqual(ranks, ['-', '-', '-']);
    assert.equal(await page.locator('#list .rank-no.top').count(), 0);
    assert.match(await page.textContent('.rank-note'), /暂无名次/);
    assert.equal(await page.textContent('#cover-caption .cover-text'), '还没有人占领封面');
    await shot(page, '28-ranking-no-steps');
    await page.done();
  });

  test('alone on the ranking: the empty state names the command that adds friends', async () => {
    const [a] = await community('独行者');
    const page = await phone();
    await signIn(page, a);
    await loaded(page);
    assert.match(await page.textContent('#list .empty'), /yundong friend add A B/);
    await page.done();
  });
});

describe('offline', () => {
  test('detail, settings and chats: a Chinese error with 重试 that works once the server answers again', async () => {
    const page = await phone({ expectNetworkErrors: true });
    await signIn(page, me);
    for (const [path, api, title] of [
      ['/ui/detail', '**/client/v1/werun/detail*', '详情暂时无法显示'],
      ['/ui/settings', '**/client/v1/werun/friends', '设置暂时无法显示'],
      ['/ui/chat', '**/client/v1/conversations', '聊天暂时无法显示'],
    ]) {
      await page.route(api, (route) => route.abort('failed'));
      await page.goto(base + path);
      await page.waitForSelector('.error-state');
      assert.equal(await page.textContent('.error-state .empty-title'), title, path);
      assert.equal(await page.textContent('.error-state .error-reason'), '网络错误，请检查网络连接后重试', path);
      assert.doesNotMatch(await page.textContent('body'), /Failed to fetch/, path);
      if (path === '/ui/detail') await shot(page, '36-detail-offline');
      await page.unroute(api);
      await page.click('.btn-retry');
      await page.waitForSelector('body[data-loaded]:not([data-loaded="error"])');
      assert.equal(await page.locator('.error-state').count(), 0, path);
    }
    await page.done();
  });
});

describe('详情页 chart', () => {
  test('the average is a legend above the chart, never text over a bar', async () => {
    const page = await phone();
    await signIn(page, red);
    await page.goto(`${base}/ui/detail`);
    await loaded(page);
    assert.match(await page.textContent('#legend'), /^日均 [\d,]+ 步$/);
    assert.ok(await page.locator('#legend').isVisible());
    const overlaps = await page.evaluate(() => {
      const bars = [...document.querySelectorAll('#chart .bar')].map((b) => b.getBoundingClientRect());
      const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      return [...document.querySelectorAll('#chart svg text')]
        .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }))
        .filter((t) => bars.some((b) => hit(t.r, b)))
        .map((t) => t.text);
    });
    assert.deepEqual(overlaps, []);
    await shot(page, '29-detail-chart');
    await page.done();
  });
});

describe('sign-in expiry', () => {
  test('a revoked token says 登录已失效 on the page, then again on the sign-in page', async () => {
    const page = await phone({ expect401: true });
    await page.goto(`${base}/ui/`);
    // A token the server does not know (as after it was revoked), with the profile of a real user.
    await page.evaluate((u) => {
      sessionStorage.setItem('yundong.token', 'ydu_revoked_' + 'x'.repeat(32));
      sessionStorage.setItem('yundong.me', JSON.stringify({ user_id: u.user_id, nickname: '小明' }));
    }, me);
    await page.goto(`${base}/ui/ranking`);
    await page.waitForSelector('.toast.show');
    assert.equal(await page.textContent('.toast'), '登录已失效，请重新登录');
    await shot(page, '30-expired-toast');
    await page.waitForURL(`${base}/ui/?next=%2Fui%2Franking&expired=1`);
    await page.waitForSelector('#expired:not([hidden])');
    assert.equal(await page.textContent('#expired'), '登录已失效，请重新登录');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yundong.token')), null);
    await shot(page, '31-expired-signin');
    // Signing in again returns to the page.
    await page.fill('#token', me.token);
    await page.click('#submit');
    await page.waitForURL(`${base}/ui/ranking`);
    await page.done();
  });
});

describe('小程序模拟器 first hour', () => {
  test("apps to pick from, the app's name, an unknown appid refused, steps numbered in order", async () => {
    const page = await phone();
    await signIn(page, wang);
    await page.evaluate(() => sessionStorage.removeItem('yundong.sim.appid'));
    await page.goto(`${base}/ui/simulator`);
    await page.waitForSelector('body[data-apps]');
    const names = await page.$$eval('#app-picker .app-choice .app-name', (els) => els.map((e) => e.textContent));
    assert.ok(names.includes(fx.apps.fit.name) && names.includes(fx.apps.plain.name), names.join());
    await shot(page, '32-sim-picker');

    // An appid this deployment does not have opens nothing.
    await page.fill('#appid', 'wx00000000000000ff');
    await page.click('#open-btn');
    await page.waitForSelector('#open-error:not([hidden])');
    assert.match(await page.textContent('#open-error'), /没有这个小程序：wx00000000000000ff/);
    assert.ok(await page.locator('#mp').isHidden());

    // Picking one opens it under its name and fills the card's original id.
    await page.click(`#app-picker .app-choice[data-appid="${fx.apps.fit.appid}"]`);
    await page.waitForSelector('#mp:not([hidden])');
    assert.equal(await page.textContent('#mp-title'), fx.apps.fit.name);
    assert.ok(await page.locator('#open-error').isHidden());
    assert.equal(await page.inputValue('#card-username'), fx.apps.fit.original_id);
    assert.equal(await page.getAttribute(`#app-picker .app-choice[data-appid="${fx.apps.fit.appid}"]`, 'aria-checked'), 'true');
    const numbers = await page.$$eval('#mp > section.card:not([hidden]) .step-no', (els) => els.map((e) => e.textContent));
    assert.deepEqual(numbers, numbers.map((_, i) => String(i + 1)), `consecutive: ${numbers}`);
    assert.equal(numbers.length, 7);
    await page.click('#authorize');
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), new RegExp(fx.apps.fit.name));
    assert.doesNotMatch(await dialog.textContent(), new RegExp(fx.apps.fit.appid));
    await dialog.locator('[data-answer="allow"]').click();
    await page.done();
  });

  test('a session_key replaced by a later login: decryption names the steps to redo', async () => {
    const [u] = await community('模拟器用户');
    const fit = fx.apps.fit;
    const page = await phone();
    await signIn(page, u);
    await page.goto(`${base}/ui/simulator?appid=${fit.appid}`);
    await page.waitForSelector('#mp:not([hidden])');
    await page.click('#login');
    await page.waitForSelector('#login-result .errmsg');
    await page.fill('#secret', fit.secret);
    await page.click('#exchange');
    await page.waitForSelector('#exchange-result dd[data-key="session_key"]');
    // The back end logs the user in again elsewhere: a new session_key replaces the page's. Wait for the new code,
    // not the first one still on the page (already exchanged).
    const firstCode = await page.textContent('#login-result dd[data-key="code"]');
    await page.click('#login');
    await page.waitForFunction(
      (old) => {
        const now = document.querySelector('#login-result dd[data-key="code"]')?.textContent;
        return now && now !== old;
      },
      firstCode,
    );
    const code = await page.textContent('#login-result dd[data-key="code"]');
    const q = new URLSearchParams({ appid: fit.appid, secret: fit.secret, js_code: code, grant_type: 'authorization_code' });
    const exchanged = await (await fetch(`${base}/sns/jscode2session?${q}`)).json();
    assert.ok(exchanged.session_key, JSON.stringify(exchanged));
    await page.click('#werun');
    const dialog = page.locator('[data-wx-dialog="authorize"]');
    await dialog.waitFor();
    await dialog.locator('[data-answer="allow"]').click();
    await page.waitForSelector('#decrypt-error');
    assert.equal(
      await page.textContent('#decrypt-error'),
      '解密失败：session_key 已失效（已过期，或被之后的登录替换）。请重新执行第 1 步（wx.login）和第 3 步（code2Session），再获取一次。',
    );
    await page.locator('#step-werun').scrollIntoViewIfNeeded();
    await shot(page, '33-sim-stale-session');
    await page.done();
  });
});

describe('聊天 first hour', () => {
  test('no chats: the list and the share dialog name the command that makes one', async () => {
    const [u] = await community('没有聊天');
    const page = await phone();
    await signIn(page, u, '/ui/chat');
    await loaded(page);
    assert.match(await page.textContent('#no-chats'), /yundong group create --name 跑团 --members 1,2,3/);
    assert.match(await page.textContent('#no-chats'), /yundong conversation create A B/);
    await shot(page, '34-chat-empty');
    await page.goto(`${base}/ui/simulator?appid=${fx.apps.fit.appid}`);
    await page.waitForSelector('#mp:not([hidden])');
    await page.click('#share-card');
    const picker = page.locator('[data-wx-dialog="chooseChat"]');
    await picker.waitFor();
    assert.match(await picker.textContent(), /yundong group create/);
    await shot(page, '35-sim-choose-chat-empty');
    await picker.locator('[data-answer="cancel"]').click();
    await page.done();
  });

  test('/ leads to the pages, and the settings page is served like the others', async () => {
    const res = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), '/ui/');
    const settings = await fetch(`${base}/ui/settings`);
    assert.equal(settings.status, 200);
    assert.match(settings.headers.get('content-security-policy'), /default-src 'none'/);
    const r = await admin('GET', '/admin/v1/users?limit=1');
    assert.equal(r.status, 200);
    assert.equal(r.body.users.length, 1);
  });
});
