// Types of `yundong/wx`: the browser `wx` object of /ui/wx.js (the calls it implements; docs/API.md §2).

export interface WxResult {
  errMsg: string;
  [key: string]: any;
}

/** WeChat's convention: with any callback the call returns undefined; without, a Promise that rejects on a fail. */
export interface WxCallOptions<R extends WxResult = WxResult> {
  success?: (res: R) => void;
  fail?: (res: WxResult) => void;
  complete?: (res: WxResult) => void;
  [key: string]: any;
}

export interface WxCall<R extends WxResult = WxResult, O = {}> {
  (options: O & { success: (res: R) => void } & WxCallOptions<R>): void;
  (options: O & { fail: (res: WxResult) => void } & WxCallOptions<R>): void;
  (options: O & { complete: (res: WxResult) => void } & WxCallOptions<R>): void;
  (options?: O): Promise<R>;
}

export interface ShareRecord {
  typeId: number;
  time?: number;
  distance?: number;
  calorie?: number;
  number?: number;
}

export interface YundongConfig {
  /** The mini program these calls act for. */
  appid?: string;
  appName?: string;
  envVersion?: 'release' | 'trial' | 'develop';
  /** The user's client token (else sessionStorage "yundong.token"). */
  token?: string | null;
  /** The server's base URL ('' = this page's origin). Another origin needs `yundong serve --cors-origin`. */
  base?: string;
  /** Replace WeChat's dialogs: each returns (a Promise of) the user's answer. */
  dialogs?: {
    authorize?: (info: { scope: string }) => boolean | Promise<boolean>;
    shareToWeRun?: (info: { recordList: ShareRecord[] }) => boolean | Promise<boolean>;
    openSetting?: (info: { authSetting: Record<string, boolean> }) => Record<string, boolean> | Promise<Record<string, boolean>>;
    showModal?: (info: Record<string, any>) => boolean | Promise<boolean>;
    chooseChat?: (info: { conversations: any[] }) => number | null | Promise<number | null>;
  };
  /** The options the mini program was opened with (wx.getLaunchOptionsSync). */
  launch?: { path?: string; scene?: number; shareTicket?: string } | null;
  userId?: number | null;
}

export interface Wx {
  login: WxCall<{ errMsg: 'login:ok'; code: string }>;
  getSetting: WxCall<{ errMsg: 'getSetting:ok'; authSetting: Record<string, boolean> }>;
  authorize: WxCall<WxResult, { scope: string }>;
  openSetting: WxCall<{ errMsg: 'openSetting:ok'; authSetting: Record<string, boolean> }>;
  getWeRunData: WxCall<{ errMsg: 'getWeRunData:ok'; encryptedData: string; iv: string; cloudID: string }, { timeout?: number }>;
  shareToWeRun: WxCall<WxResult, { recordList: ShareRecord[]; idempotencyKey?: string }>;
  getShareInfo: WxCall<{ errMsg: 'getShareInfo:ok'; encryptedData: string; iv: string; cloudID: string }, { shareTicket: string; timeout?: number }>;
  shareMiniProgramMessage: WxCall<WxResult, Record<string, any>>;
  miniapp: { shareMiniProgramMessage: WxCall<WxResult, Record<string, any>> };
  showModal: WxCall<{ errMsg: 'showModal:ok'; confirm: boolean; cancel: boolean }, { title?: string; content?: string; showCancel?: boolean; cancelText?: string; confirmText?: string }>;
  showToast: WxCall<{ errMsg: 'showToast:ok' }, { title?: string; icon?: 'success' | 'error' | 'none'; duration?: number }>;
  getLaunchOptionsSync(): { path: string; query: Record<string, string>; scene: number; shareTicket?: string; referrerInfo: {} };
  getEnterOptionsSync(): { path: string; query: Record<string, string>; scene: number; shareTicket?: string; referrerInfo: {} };
  getAccountInfoSync(): { miniProgram: { appId: string; envVersion: string; version: string } };
  canIUse(name: string): boolean;
  yundong: {
    version: string;
    configure(options: YundongConfig): { appid: string; appName: string; envVersion: string; base: string };
    config(): { appid: string; appName: string; envVersion: string; base: string };
    uploadFile(blob: Blob): Promise<{ errMsg: string; tempFilePath: string }>;
    sports: Record<number, [string, string[]]>;
    units: Record<string, string>;
    scopes: Record<string, [string, string]>;
    recordText(record: ShareRecord): [string, string];
  };
}

declare const wx: Wx;
export default wx;
export { wx };
