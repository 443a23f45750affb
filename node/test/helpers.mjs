// Shared by node/test: the binary under test and a back end's two moves (jscode2session, decryption), done by hand
// here so the package is checked against WeChat's wire format, not against itself.
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { existsSync } from 'node:fs';

/** The binary under test: YUNDONG_BIN (scripts/test-node.sh sets it). */
export function binary() {
  const bin = process.env.YUNDONG_BIN;
  assert.ok(bin && existsSync(bin), `set YUNDONG_BIN to a yundong binary (got ${bin})`);
  return bin;
}

/** What a back end does with a wx.login code: GET /sns/jscode2session. Answers WeChat's JSON. */
export async function code2Session(yd, app, code) {
  const q = new URLSearchParams({ appid: app.appid, secret: app.secret, js_code: code, grant_type: 'authorization_code' });
  return (await fetch(`${yd.url}/sns/jscode2session?${q}`)).json();
}

/** AES-128-CBC open data, as WeChat's documentation decrypts it. */
export function decrypt(sessionKey, { encryptedData, iv }) {
  const d = createDecipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(iv, 'base64'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(encryptedData, 'base64')), d.final()]).toString('utf8'));
}

/** Whether a process id is alive. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
