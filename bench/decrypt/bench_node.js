'use strict';
// Node decrypt loops on the shared payload file. Single-threaded (synchronous crypto on the main thread).
//
//   node bench_node.js payloads.json --impl plain|wechat-oauth|node-easywechat [--seconds 3]
//
//   plain            crypto.createDecipheriv('aes-128-cbc') + JSON.parse + watermark.appid check, by hand
//   wechat-oauth     wechat-oauth 1.5.0's WXBizDataCrypt(appid, key).decryptData(data, iv) (does its own appid check)
//   node-easywechat  node-easywechat 3.6.2's MiniApp Decryptor.decrypt(key, iv, data) (what getUtils().decryptSession
//                    calls) + appid check by hand (the SDK has none)
//
// Every payload is verified once (31 entries, appid) before timing. Prints `payloads_per_sec=<N>` last.
// The SDKs are loaded from conformance/node/node_modules (scripts/setup-conformance.sh installs them).

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const sdkRequire = createRequire(path.join(__dirname, '../../conformance/node/package.json'));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

function plain(key, iv, data, appid) {
  const d = crypto.createDecipheriv('aes-128-cbc', Buffer.from(key, 'base64'), Buffer.from(iv, 'base64'));
  const text = Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
  const out = JSON.parse(text);
  if (out.watermark.appid !== appid) throw new Error('watermark appid mismatch');
  return out;
}

function impls() {
  return {
    plain: () => plain,
    'wechat-oauth': () => {
      const WXBizDataCrypt = sdkRequire('wechat-oauth/lib/wx_biz_data_crypt');
      return (key, iv, data, appid) => new WXBizDataCrypt(appid, key).decryptData(data, iv);
    },
    'node-easywechat': () => {
      const Decryptor = sdkRequire('node-easywechat/dist/MiniApp/Decryptor');
      return (key, iv, data, appid) => {
        const out = Decryptor.decrypt(key, iv, data);
        if (out.watermark.appid !== appid) throw new Error('watermark appid mismatch');
        return out;
      };
    },
  };
}

function main() {
  const file = process.argv[2];
  const impl = arg('impl', 'plain');
  const seconds = Number(arg('seconds', '3'));
  const make = impls()[impl];
  if (!file || !make) {
    console.error(`usage: node bench_node.js FILE --impl ${Object.keys(impls()).join('|')} [--seconds 3]`);
    process.exit(2);
  }
  // wechat-oauth uses the deprecated `new Buffer()`: keep its one-time warning out of the output.
  process.removeAllListeners('warning');
  const decrypt = make();
  const payloads = JSON.parse(fs.readFileSync(file, 'utf8')).map((p) => [p.session_key, p.iv, p.encryptedData, p.appid]);
  if (!payloads.length) throw new Error('no payloads');

  for (const [key, iv, data, appid] of payloads) { // correctness, and warm-up
    const out = decrypt(key, iv, data, appid);
    if (out.stepInfoList.length !== 31 || out.watermark.appid !== appid) throw new Error(`bad payload: ${JSON.stringify(out)}`);
  }

  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now;
  for (;;) {
    for (const [key, iv, data, appid] of payloads) decrypt(key, iv, data, appid);
    n += payloads.length;
    now = process.hrtime.bigint();
    if (now >= deadline) break;
  }
  const secs = Number(now - start) / 1e9;
  console.error(`decrypted=${n} seconds=${secs.toFixed(3)}`);
  console.log(`payloads_per_sec=${Math.round(n / secs)}`);
}

main();
