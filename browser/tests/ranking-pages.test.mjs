// The ranking page with more friends than one answer holds (issue 17): the server answers 50 rows a page, and the
// page asks for the next one as the user scrolls to the end of the list, until every friend is shown, once, in order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, community, loaded, phone, shot, signIn, useBrowser } from './phone.mjs';

useBrowser();

const ranks = (page) =>
  page.$$eval('#list .rank-row', (els) => els.map((e) => [Number(e.dataset.userId), Number(e.dataset.rank)]));

describe('排行榜 paging', () => {
  test('a ranking of 130 loads 50 rows, then more as the user scrolls, each once and in rank order', async () => {
    const names = ['翻页者'];
    for (let i = 1; i < 130; i++) names.push(`翻页好友${i}`);
    const users = await community(...names);
    // Steps with ties: users come in pairs sharing a total (ranks 1, 1, 3, 3, …).
    for (const [i, u] of users.entries()) {
      const steps = 20000 - Math.floor(i / 2) * 100;
      const { status } = await api('POST', '/client/v1/steps', u.token, { steps });
      assert.equal(status, 200);
    }
    const page = await phone();
    await signIn(page, users[0]);
    await loaded(page);
    assert.equal((await ranks(page)).length, 50, 'the first answer is one page');
    assert.match(await page.textContent('#foot'), /共 130 人/);
    // Scrolling to the end fetches the next page, and the one after.
    for (const want of [100, 130]) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForFunction((n) => document.querySelectorAll('#list .rank-row').length >= n, want);
    }
    const got = await ranks(page);
    assert.equal(got.length, 130);
    assert.equal(new Set(got.map((r) => r[0])).size, 130, 'no row twice');
    for (let i = 1; i < got.length; i++) assert.ok(got[i][1] >= got[i - 1][1], `ranks ascend at row ${i}`);
    // Ties share a rank (1, 1, 3, 3, …) across page boundaries too.
    assert.deepEqual(got.slice(0, 4).map((r) => r[1]), [1, 1, 3, 3]);
    assert.deepEqual(got.slice(49, 52).map((r) => r[1]), [49, 51, 51]);
    await shot(page, '20-ranking-paged', { fullPage: true });
  });
});
