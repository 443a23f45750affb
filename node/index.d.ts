// Types of the `yundong` package (hand-written; checked by node/test/types.test.mjs with the pinned TypeScript).

export interface StartOptions {
  /** The yundong binary. Default: `YUNDONG_BIN`, else the platform package's (`@yundong/linux-x64`). */
  bin?: string;
  /** More `yundong serve` arguments, e.g. `['--journal-client']`. */
  args?: string[];
  /** Origins whose pages may call the client API and load /ui/wx.js (`--cors-origin` each); `'*'` for any. */
  corsOrigin?: string | string[];
  /** The zone whose midnights bound a WeRun day (`--utc-offset`). Default `'+08:00'`. */
  utcOffset?: string;
  /** More environment for the server (`YUNDONG_*` variables of the calling process are not passed on, but YUNDONG_LOG). */
  env?: Record<string, string>;
  /** The admin token to use (at least 32 characters). Default: a random one. */
  adminToken?: string;
  /** How long to wait for the server to answer, in ms. Default 10,000. */
  timeoutMs?: number;
  /** Use this data directory (kept after stop()) instead of a temporary one. */
  dataDir?: string;
  /** Keep the temporary data directory after stop(). */
  keepDataDir?: boolean;
}

/** `POST /admin/v1/apps`' answer. The secret is shown only here. */
export interface App {
  appid: string;
  secret: string;
  original_id: string;
  name: string;
  category: string | null;
  werun_share: boolean;
  open_platform: string | null;
  device_steps: boolean;
}

export interface AppOptions {
  /** Service category, e.g. '体育-在线健身' (needed for shareToWeRun). */
  category?: string;
  /** Enable wx.shareToWeRun for this app. */
  werunShare?: boolean;
  /** The device capability (/hardware/bracelet/setstep). */
  deviceSteps?: boolean;
  /** Open-platform account; apps of one platform share a user's unionid. */
  openPlatform?: string;
}

/** `POST /admin/v1/users`' answer: `token` is the client API's bearer token. */
export interface User {
  user_id: number;
  nickname: string;
  token: string;
}

/** A user: the object createUser() answered, or its token. */
export type UserRef = User | { token: string } | string;
/** An app: the object createApp() answered, or its appid. */
export type AppRef = App | { appid: string } | string;

/** wx.getWeRunData's success. */
export interface WeRunData {
  errMsg: 'getWeRunData:ok';
  encryptedData: string;
  iv: string;
  cloudID: string;
}

export interface FaultRule {
  /** The WeChat errcode to answer (default -1, system error). */
  errcode?: number;
  errmsg?: string;
  httpStatus?: number;
  http_status?: number;
  delayMs?: number;
  delay_ms?: number;
  /** Close the connection without an answer. */
  drop?: boolean;
  probability?: number;
  seed?: number;
  /** Fire on the next N matching calls only. */
  times?: number;
  /** Only calls naming this app. */
  appid?: string;
}

export interface Fault {
  fault_id: string;
  path: string;
  appid: string | null;
  errcode: number | null;
  errmsg: string | null;
  http_status: number;
  delay_ms: number;
  drop: boolean;
  probability: number;
  seed: number;
  times: number | null;
}

export interface FaultStatus extends Fault {
  hits: number;
  remaining: number | null;
  matched: number;
}

export interface RequestFilter {
  path?: string;
  appid?: string;
  errcode?: number;
  /** Only entries with a larger id. */
  after?: number;
  /** 1 to 1000 (default 100). */
  limit?: number;
}

/** One journaled call (secrets masked). */
export interface JournalEntry {
  id: number;
  at: number;
  method: string;
  path: string;
  appid: string | null;
  query: string;
  body: string;
  status: number;
  errcode: number | null;
  errmsg: string | null;
  rid: string | null;
  latency_ms: number;
  fault_id: string | null;
  response: string | null;
  detail: string | null;
  [key: string]: unknown;
}

export interface Clock {
  /** Unix seconds on the deployment's clock. */
  now: number;
  offset_seconds: number;
}

export interface ScenarioApplied {
  apps: Array<{ appid: string; created: boolean; secret?: string }>;
  users: Array<{ key: string; user_id: number; created: boolean; token?: string }>;
  check_ins_added: number;
}

export interface ResetResult {
  apps_removed: number;
  users_removed: number;
  kept_apps: boolean;
  now: number;
  offset_seconds: number;
}

export declare class Yundong {
  /** Base URL, `http://127.0.0.1:PORT`: what a back end's SDK uses instead of https://api.weixin.qq.com. */
  readonly url: string;
  /** The admin API's bearer token. */
  readonly adminToken: string;
  readonly utcOffset: string;
  readonly pid: number | undefined;
  /** What the server printed so far (last 16 KiB). */
  output(): string;
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  client<T = any>(user: UserRef, method: string, path: string, body?: unknown, options?: { check?: boolean }): Promise<T>;
  createApp(name?: string, options?: AppOptions): Promise<App>;
  createUser(nickname?: string): Promise<User>;
  addFriends(a: User | number, b: User | number): Promise<{ a: number; b: number; created: boolean }>;
  clock(): Promise<Clock>;
  /** Today (or daysAgo before) on the deployment's clock: YYYY-MM-DD. */
  day(daysAgo?: number): Promise<string>;
  setClock(at: Date | string): Promise<Clock>;
  setSteps(user: UserRef, steps: number, options?: { daysAgo?: number }): Promise<{ errMsg: string; [key: string]: unknown }>;
  /** wx.login: the code a back end exchanges at /sns/jscode2session. */
  login(user: UserRef, app: AppRef): Promise<string>;
  /** wx.getWeRunData (grants scope.werun if undecided). */
  getWeRunData(user: UserRef, app: AppRef, options?: { allow?: boolean | null; check?: true }): Promise<WeRunData>;
  getWeRunData(user: UserRef, app: AppRef, options: { allow?: boolean | null; check: false }): Promise<WeRunData | { errMsg: string }>;
  authorize(user: UserRef, app: AppRef, scope?: string, options?: { allow?: boolean; check?: boolean }): Promise<{ errMsg: string }>;
  addFault(path: string, rule?: FaultRule): Promise<Fault>;
  faults(): Promise<FaultStatus[]>;
  removeFault(fault: string | Fault): Promise<unknown>;
  clearFaults(): Promise<{ removed: number }>;
  clearRequests(): Promise<unknown>;
  exportScenario(): Promise<Record<string, unknown>>;
  requests(filter?: RequestFilter): Promise<JournalEntry[]>;
  advanceClock(seconds: number): Promise<Clock>;
  /** A file path or file: URL (YAML or JSON), YAML/JSON text, or an object. */
  applyScenario(scenario: string | URL | object): Promise<ScenarioApplied>;
  reset(options?: { keepApps?: boolean }): Promise<ResetResult>;
  stop(options?: { graceMs?: number }): Promise<void>;
}

export declare class YundongError extends Error {
  /** HTTP status (0 when there was no answer). */
  status: number;
  /** The server's answer, parsed. */
  body: any;
  method: string;
  path: string;
}

export declare function startYundong(options?: StartOptions): Promise<Yundong>;
export declare function findBinary(bin?: string): string;
export declare function platformPackage(platform?: string, arch?: string): string;
