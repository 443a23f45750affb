// The CommonJS entry: require('yundong') gives the same implementation as the ESM entry, and works on its own.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const yundong = require('yundong');

test('require("yundong") starts a server and drives it', async () => {
  assert.equal(typeof yundong.startYundong, 'function');
  const yd = await yundong.startYundong({ bin: process.env.YUNDONG_BIN });
  try {
    const app = await yd.createApp('cjs');
    const user = await yd.createUser('cjs');
    const code = await yd.login(user, app);
    assert.equal(typeof code, 'string');
    assert.ok(code.length > 10);
  } finally {
    await yd.stop();
  }
});

test('ESM and CommonJS entries export the same functions and classes', async () => {
  const esm = await import('yundong');
  for (const name of ['startYundong', 'findBinary', 'platformPackage', 'Yundong', 'YundongError']) {
    assert.equal(esm[name], yundong[name], name);
  }
  assert.equal(yundong.platformPackage('linux', 'x64'), '@yundong/linux-x64');
});
