'use strict';
// yundong for Node tests: start a private `yundong serve --test-mode` (free loopback port, temporary SQLite database,
// generated admin token) and drive it through its admin and client APIs (docs/API.md §2, §3). No dependencies:
// Node ≥ 18's global fetch. README.md documents every method; index.d.ts types them.

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { fileURLToPath } = require('node:url');

/** A call to the server that did not succeed: carries the HTTP status and the server's answer. */
class YundongError extends Error {
  constructor(message, { status = 0, body = null, method = '', path = '' } = {}) {
    super(message);
    this.name = 'YundongError';
    this.status = status;
    this.body = body;
    this.method = method;
    this.path = path;
  }
}

/** The platform package's name for this machine (the esbuild/biome pattern): `@yundong/linux-x64`. */
function platformPackage(platform = process.platform, arch = process.arch) {
  return `@yundong/${platform}-${arch}`;
}

/**
 * The yundong binary: `bin` if given, else `YUNDONG_BIN`, else the one in this platform's package (an optional
 * dependency, installed only where it fits). Throws a YundongError that says what to do when there is none.
 */
function findBinary(bin) {
  if (bin) return String(bin);
  if (process.env.YUNDONG_BIN) return process.env.YUNDONG_BIN;
  const name = platformPackage();
  let dir;
  try {
    dir = require.resolve(`${name}/package.json`).replace(/[\\/]package\.json$/, '');
  } catch {
    throw new YundongError(
      `no yundong binary: the package ${name} is not installed (npm installs it with yundong where it exists: ` +
        `this platform may have none). Set YUNDONG_BIN to a yundong binary (cargo build --release -p yundong), ` +
        `or pass {bin}.`
    );
  }
  const file = join(dir, 'bin', process.platform === 'win32' ? 'yundong.exe' : 'yundong');
  if (!existsSync(file)) throw new YundongError(`${name} is installed but has no binary at ${file}`);
  return file;
}

/** Child processes still running, killed if the process exits without stopping them. */
const live = new Set();
let exitHook = false;
function watch(server) {
  live.add(server);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const s of live) s._killNow();
  });
}

/** The last `max` characters of what the server printed (for error messages; never printed by us). */
class Tail {
  constructor(max = 16 * 1024) {
    this.max = max;
    this.text = '';
  }
  push(chunk) {
    this.text = (this.text + chunk).slice(-this.max);
  }
}

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Keys in camelCase (`httpStatus`) or snake_case (`http_status`) → snake_case, undefined values dropped. */
function snakeKeys(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) if (v !== undefined) out[snake(k)] = v;
  return out;
}

/** `YYYY-MM-DD` of `unixSeconds` in the zone `offset` ('+08:00'). */
function localDate(unixSeconds, offset) {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!m) throw new YundongError(`utcOffset must look like +08:00, got ${offset}`);
  const shift = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  return new Date((unixSeconds + shift) * 1000).toISOString().slice(0, 10);
}

const appidOf = (app) => (typeof app === 'string' ? app : app && app.appid);
const tokenOf = (user) => (typeof user === 'string' ? user : user && user.token);

class Yundong {
  /** Use startYundong(): it waits until the server answers. */
  constructor(child, { url, adminToken, dataDir, keepDataDir, utcOffset, tail }) {
    this._child = child;
    this._dataDir = dataDir;
    this._keepDataDir = keepDataDir;
    this._tail = tail;
    this._stopped = null;
    this._exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    /** The server's base URL (`http://127.0.0.1:PORT`): what a back end's SDK uses instead of https://api.weixin.qq.com. */
    this.url = url;
    /** The admin API's bearer token (generated for this server). */
    this.adminToken = adminToken;
    this.utcOffset = utcOffset;
    this.pid = child.pid;
  }

  /** What the server printed so far (the last 16 KiB): its banner and log. */
  output() {
    return this._tail.text;
  }

  async _call(method, path, { token, body, raw, contentType, check = true } = {}) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      headers['Content-Type'] = contentType || 'application/yaml';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let res;
    try {
      res = await fetch(this.url + path, { method, headers, body: payload });
    } catch (e) {
      const why = this._child.exitCode !== null ? ` (the server exited: ${this._tail.text.trim().split('\n').pop()})` : '';
      throw new YundongError(`${method} ${path}: ${e.cause?.message || e.message}${why}`, { method, path });
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    const clientFail =
      check && data && typeof data === 'object' && typeof data.errMsg === 'string' && !/:ok$/.test(data.errMsg);
    if (!res.ok || clientFail) {
      const why = data?.error?.message || data?.errMsg || data?.errmsg || text || `HTTP ${res.status}`;
      throw new YundongError(`${method} ${path} → ${res.status}: ${why}`, { status: res.status, body: data, method, path });
    }
    return data;
  }

  /** An admin API call: `admin('GET', '/admin/v1/users')`. Throws YundongError unless 2xx. */
  admin(method, path, body) {
    return this._call(method, path, { token: this.adminToken, body });
  }

  /**
   * A client API call as `user` (its token, or an object with `token`). Throws unless 2xx and, with `check` (the
   * default), unless errMsg ends ":ok"; `{check: false}` returns a "…:fail …" answer instead.
   */
  client(user, method, path, body, { check = true } = {}) {
    return this._call(method, path, { token: tokenOf(user), body, check });
  }

  /** A mini program: {appid, secret, original_id, name, …}. Options: category, werunShare, deviceSteps, openPlatform. */
  createApp(name = 'demo', options = {}) {
    return this.admin('POST', '/admin/v1/apps', { name, ...snakeKeys(options) });
  }

  /** A WeChat user: {user_id, nickname, token} (token: the client API's bearer token). */
  createUser(nickname = '用户') {
    return this.admin('POST', '/admin/v1/users', { nickname });
  }

  /** Make two users friends (for rankings and direct chats): users or their ids. */
  addFriends(a, b) {
    const id = (u) => (typeof u === 'object' ? u.user_id : u);
    return this.admin('POST', '/admin/v1/friendships', { a: id(a), b: id(b) });
  }

  /** The deployment's clock: {now (Unix seconds), offset_seconds}. */
  clock() {
    return this.admin('GET', '/admin/v1/clock');
  }

  /** Today, or `daysAgo` days before, on the deployment's clock: `YYYY-MM-DD` in the server's day zone. */
  async day(daysAgo = 0) {
    const { now } = await this.clock();
    return localDate(now - daysAgo * 86_400, this.utcOffset);
  }

  /** Set `user`'s step total of today, or of `daysAgo` days before today on the deployment's clock (0 to 30). */
  async setSteps(user, steps, { daysAgo = 0 } = {}) {
    const body = { steps };
    if (daysAgo) body.date = await this.day(daysAgo);
    return this.client(user, 'POST', '/client/v1/steps', body);
  }

  /** wx.login for `app` as `user`: the code a back end exchanges at /sns/jscode2session. */
  async login(user, app) {
    const res = await this.client(user, 'POST', '/client/v1/wx/login', { appid: appidOf(app) });
    return res.code;
  }

  /**
   * wx.getWeRunData for `app` as `user`: {errMsg, encryptedData, iv, cloudID}. Grants scope.werun if the user has not
   * decided it (`allow: false` denies it, `allow: null` leaves the dialog unanswered; a denied scope stays denied:
   * "getWeRunData:fail auth deny"). Needs a live session: login() and the back end's jscode2session first
   * ("getWeRunData:fail need login" otherwise). Throws YundongError on a fail unless `check: false`.
   */
  getWeRunData(user, app, { allow = true, check = true } = {}) {
    const body = { appid: appidOf(app) };
    if (allow !== null && allow !== undefined) body.allow = allow;
    return this.client(user, 'POST', '/client/v1/wx/getWeRunData', body, { check });
  }

  /** The user's answer to the authorization dialog for `scope` (a denied scope stays denied: "auth deny"). */
  authorize(user, app, scope = 'scope.werun', { allow = true, check = true } = {}) {
    return this.client(user, 'POST', '/client/v1/wx/authorize', { appid: appidOf(app), scope, allow }, { check });
  }

  /**
   * A fault rule on `path` (`/sns/jscode2session`, `/cgi-bin/token`, a `/client/v1/…` path): {errcode, errmsg,
   * httpStatus, delayMs, drop, probability, seed, times, appid} (camelCase or snake_case). Answers the rule, with
   * `fault_id`.
   */
  addFault(path, rule = {}) {
    return this.admin('POST', '/admin/v1/faults', { path, ...snakeKeys(rule) });
  }

  /** The fault rules with their hits. */
  async faults() {
    return (await this.admin('GET', '/admin/v1/faults')).faults;
  }

  /** Remove one fault rule (its id, or the rule). */
  removeFault(fault) {
    const id = typeof fault === 'object' ? fault.fault_id : fault;
    return this.admin('DELETE', `/admin/v1/faults/${encodeURIComponent(id)}`);
  }

  /** Remove every fault rule. */
  clearFaults() {
    return this.admin('DELETE', '/admin/v1/faults');
  }

  /** Empty the request journal. */
  clearRequests() {
    return this.admin('DELETE', '/admin/v1/requests');
  }

  /** The request journal, oldest first, narrowed by {path, appid, errcode, after, limit}. */
  async requests(filter = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(snakeKeys(filter))) if (v !== null) q.set(k, String(v));
    const qs = q.toString();
    return (await this.admin('GET', `/admin/v1/requests${qs ? `?${qs}` : ''}`)).requests;
  }

  /** Move the deployment's clock forward by `seconds`; answers {now, offset_seconds}. */
  advanceClock(seconds) {
    return this.admin('POST', '/admin/v1/clock/advance', { seconds });
  }

  /** Move the deployment's clock forward to `at` (a Date or an RFC 3339 string). */
  setClock(at) {
    return this.admin('POST', '/admin/v1/clock/set', { at: at instanceof Date ? at.toISOString() : at });
  }

  /** The deployment as a scenario (no secrets or tokens: there are none in clear to export). */
  exportScenario() {
    return this.admin('GET', '/admin/v1/scenario');
  }

  /**
   * Apply a scenario (docs/API.md "Scenario files"): a file path or file: URL (YAML or JSON), YAML/JSON text (a string
   * with a line break or starting with "{"), or an object. Answers {apps, users, check_ins_added}.
   */
  applyScenario(scenario) {
    let text;
    if (scenario instanceof URL) text = readFileSync(fileURLToPath(scenario), 'utf8');
    else if (typeof scenario === 'string') {
      text = scenario.includes('\n') || scenario.trimStart().startsWith('{') ? scenario : readFileSync(scenario, 'utf8');
    } else if (scenario && typeof scenario === 'object') text = JSON.stringify(scenario);
    else throw new YundongError('applyScenario takes a file path, YAML/JSON text or an object');
    return this._call('POST', '/admin/v1/scenario', { token: this.adminToken, raw: text });
  }

  /** Empty the deployment (users, apps unless {keepApps: true}, journal, faults) and rewind the clock. */
  reset({ keepApps = false } = {}) {
    return this.admin('POST', '/admin/v1/reset', keepApps ? { keep: 'apps' } : {});
  }

  /** Stop the server (SIGTERM, SIGKILL after `graceMs`) and remove its data directory. Safe to call twice. */
  stop({ graceMs = 5_000 } = {}) {
    if (!this._stopped) {
      this._stopped = (async () => {
        if (this._child.exitCode === null && this._child.signalCode === null) {
          this._child.kill('SIGTERM');
          let timer;
          const killed = new Promise((resolve) => {
            timer = setTimeout(() => {
              this._child.kill('SIGKILL');
              resolve();
            }, graceMs);
          });
          await Promise.race([this._exited, killed]);
          clearTimeout(timer);
          await this._exited;
        }
        live.delete(this);
        this._removeDataDir();
      })();
    }
    return this._stopped;
  }

  /** `await using yd = await startYundong()` (explicit resource management) stops it at the end of the block. */
  [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    return this.stop();
  }

  _removeDataDir() {
    if (!this._keepDataDir) rmSync(this._dataDir, { recursive: true, force: true });
  }

  _killNow() {
    try {
      this._child.kill('SIGKILL');
      this._removeDataDir();
    } catch {
      // already gone, or its files still held: nothing more to do at exit
    }
  }
}

/**
 * Start a private yundong server and wait until it answers. Options: bin (else YUNDONG_BIN, else the platform
 * package's binary), args (more `yundong serve` arguments), corsOrigin (string or array: `--cors-origin` for
 * each), utcOffset ('+08:00'), env (more environment), timeoutMs (10,000), keepDataDir (false), dataDir.
 */
async function startYundong(options = {}) {
  const bin = findBinary(options.bin);
  const adminToken = options.adminToken || `yda_${randomBytes(24).toString('hex')}`;
  const dataDir = options.dataDir || mkdtempSync(join(tmpdir(), 'yundong-'));
  const utcOffset = options.utcOffset || '+08:00';
  const cors = options.corsOrigin == null ? [] : [].concat(options.corsOrigin);
  const args = [
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--data-dir',
    dataDir,
    '--test-mode',
    '--utc-offset',
    utcOffset,
    ...cors.flatMap((o) => ['--cors-origin', o]),
    ...(options.args || []),
  ];
  // The server reads YUNDONG_* settings from the environment: a developer's own (a database URL, a listen address)
  // must not leak into a test server. YUNDONG_LOG (the log filter) is kept.
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('YUNDONG_') || k === 'YUNDONG_LOG') env[k] = v;
  Object.assign(env, options.env || {}, { YUNDONG_ADMIN_TOKEN: adminToken });
  const tail = new Tail();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanupFailed = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // not started
    }
    if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => tail.push(d));
  child.stdout.setEncoding('utf8');

  // The banner's first line, printed once the port is bound: "yundong 0.1.0 serving on http://127.0.0.1:PORT".
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new YundongError(`yundong did not start within ${timeoutMs} ms`)), timeoutMs);
      const onData = (d) => {
        tail.push(d);
        seen += d;
        const m = /serving on (http:\/\/\S+)/.exec(seen);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.on('data', (more) => tail.push(more));
          resolve(m[1].replace(/\/$/, ''));
        }
      };
      child.stdout.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new YundongError(`cannot run ${bin}: ${e.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // stderr may still be draining: give it a tick so the error line is in the message.
        setImmediate(() =>
          reject(new YundongError(`yundong exited (${signal || `code ${code}`}) before serving: ${tail.text.trim()}`))
        );
      });
    });
  } catch (e) {
    cleanupFailed();
    throw e;
  }
  const server = new Yundong(child, { url, adminToken, dataDir, keepDataDir: !!options.keepDataDir || !!options.dataDir, utcOffset, tail });
  watch(server);
  // The port is bound before the banner; the first request is answered as soon as the server loop runs.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) {
        await res.arrayBuffer();
        break;
      }
    } catch {
      // not yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await server.stop();
      throw new YundongError(`yundong at ${url} did not answer /healthz: ${tail.text.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  // A forgotten stop() must not keep a test runner alive: the exit hook kills the server instead.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();
  return server;
}

module.exports = { startYundong, findBinary, platformPackage, Yundong, YundongError };
