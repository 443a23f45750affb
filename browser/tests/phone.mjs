// Shared by the browser test files: the fixture, a phone-sized Chromium tab that fails on console errors,
// screenshots, sign-in, and direct admin/client API calls for tests that make their own users.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = resolve(process.env.YUNDONG_ARTIFACTS || join(HERE, '..', '..', 'test-artifacts', 'browser'));
export const fx = JSON.parse(readFileSync(process.env.YUNDONG_FIXTURE, 'utf8'));
export const base = fx.base;

// The flags this machine's Chromium needs (see .library/env/machines/rust-svc.md); playwright's launch() gives every
// run a fresh, empty --user-data-dir of its own.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
};

let browser;
/** Launch Chromium before a file's tests and close it after them. */
export function useBrowser() {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    });
  });
  after(async () => {
    await browser?.close();
  });
}

/**
 * A fresh phone-sized tab whose console errors, page errors and CSP violations fail the test at close, except
 * the browser's own "Failed to load resource" line for a 401 the test provokes on purpose (`{ expect401: true }`)
 * or for requests the test itself cuts off to play a network failure (`{ expectNetworkErrors: true }`).
 */
export async function phone({ expect401 = false, expectNetworkErrors = false } = {}) {
  const context = await browser.newContext(PHONE);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expect401 && /status of 401/.test(m.text())) return;
    if (expectNetworkErrors && /net::ERR_FAILED/.test(m.text())) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.check = () => assert.deepEqual(problems, [], 'the page logged errors');
  page.done = async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the page logged errors');
  };
  return page;
}

export async function shot(page, name, opts = {}) {
  await page.waitForTimeout(250); // let dialog animations finish
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), ...opts });
}

export async function signIn(page, user, next = '') {
  await page.goto(`${base}/ui/${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.fill('#token', user.token);
  await page.click('#submit');
  await page.waitForURL(next ? `${base}${next}` : `${base}/ui/ranking`);
}

export async function loaded(page) {
  await page.waitForSelector('body[data-loaded]');
}

/** A call to the server with a bearer token; resolves {status, body}. */
export async function api(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = {};
  try {
    data = JSON.parse(text);
  } catch {
    data = { raw: text };
  }
  return { status: res.status, body: data };
}

/** An admin call (run.sh exports the server's admin token). */
export function admin(method, path, body) {
  return api(method, path, process.env.YUNDONG_ADMIN_TOKEN, body);
}

/** New users of their own for a test (so it can change their switches freely), all friends of the first. */
export async function community(...nicknames) {
  const users = [];
  for (const nickname of nicknames) {
    const { status, body } = await admin('POST', '/admin/v1/users', { nickname });
    assert.equal(status, 201, JSON.stringify(body));
    users.push(body);
  }
  for (const other of users.slice(1)) {
    const { status } = await admin('POST', '/admin/v1/friendships', { a: users[0].user_id, b: other.user_id });
    assert.ok(status === 201 || status === 200);
  }
  return users;
}
