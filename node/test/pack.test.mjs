// The packages as users get them: `npm pack` of yundong and of the platform package @yundong/linux-x64 (built from
// YUNDONG_BIN by scripts/build-platform.mjs), installed from the tarballs into a fresh project with no registry
// access (--offline), then startYundong() finds the platform package's binary with YUNDONG_BIN unset, from CommonJS
// and from ESM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary } from './helpers.mjs';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(PKG, '..');
const PLATFORM = join(PKG, 'npm', `${process.platform}-${process.arch}`);
const npm = (args, cwd, extra = {}) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', ...extra } });

let work;
let tarballs;
before(() => {
  assert.ok(existsSync(PLATFORM), `no platform package for ${process.platform}-${process.arch}`);
  work = mkdtempSync(join(tmpdir(), 'yundong-pack-'));
  execFileSync(process.execPath, [join(PKG, 'scripts', 'build-platform.mjs'), binary()]);
  const packed = (dir) => JSON.parse(npm(['pack', '--json', '--pack-destination', work], dir))[0];
  tarballs = { main: packed(PKG), platform: packed(PLATFORM) };
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the tarballs hold what a user needs and nothing else', () => {
  const files = (t) => t.files.map((f) => f.path).sort();
  assert.deepEqual(files(tarballs.main), [
    'README.md', 'index.d.ts', 'index.js', 'index.mjs', 'package.json', 'wx/index.d.ts', 'wx/index.mjs', 'wx/wx.js',
  ]);
  assert.deepEqual(files(tarballs.platform), ['README.md', 'bin/yundong', 'package.json']);
  const bin = tarballs.platform.files.find((f) => f.path === 'bin/yundong');
  assert.equal(bin.mode & 0o111, 0o111, 'the binary is executable in the tarball');
  const cargo = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const crate = /\n\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)?.[1];
  assert.equal(tarballs.main.version, crate, "the package's version is the crates' version");
  assert.equal(tarballs.platform.version, crate);
});

test('installed from the tarballs, startYundong finds the binary without YUNDONG_BIN (CommonJS and ESM)', () => {
  const project = join(work, 'project');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-back-end', private: true }));
  npm(
    ['install', '--offline', '--no-audit', '--no-fund', join(work, tarballs.main.filename), join(work, tarballs.platform.filename)],
    project
  );
  const installed = join(project, 'node_modules', '@yundong', 'linux-x64', 'bin', 'yundong');
  assert.ok(statSync(installed).mode & 0o100, 'installed executable');
  const env = { ...process.env };
  delete env.YUNDONG_BIN;
  const script = (kind) =>
    kind === 'cjs'
      ? `const { startYundong, findBinary } = require('yundong');
         (async () => { const yd = await startYundong(); const app = await yd.createApp('packed');
           console.log(JSON.stringify({ bin: findBinary(), appid: app.appid })); await yd.stop(); })();`
      : `import { startYundong, findBinary } from 'yundong'; import wx from 'yundong/wx';
         const yd = await startYundong(); const user = await yd.createUser('packed');
         console.log(JSON.stringify({ bin: findBinary(), user: user.user_id, wx: typeof wx.login })); await yd.stop();`;
  for (const kind of ['cjs', 'esm']) {
    const file = join(project, kind === 'cjs' ? 'check.cjs' : 'check.mjs');
    writeFileSync(file, script(kind));
    const r = spawnSync(process.execPath, [file], { cwd: project, env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${kind}: ${r.stdout}${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.equal(out.bin, installed, kind);
    if (kind === 'cjs') assert.match(out.appid, /^wx[0-9a-f]{16}$/);
    else assert.deepEqual([out.user, out.wx], [1, 'function']);
  }
});

test('without the platform package or YUNDONG_BIN, startYundong says what to do', () => {
  const project = join(work, 'bare');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bare', private: true }));
  // --omit=optional: as on a platform with no package of its own.
  npm(['install', '--offline', '--omit=optional', '--no-audit', '--no-fund', join(work, tarballs.main.filename)], project);
  const env = { ...process.env };
  delete env.YUNDONG_BIN;
  const r = spawnSync(
    process.execPath,
    ['-e', "require('yundong').startYundong().catch((e) => { console.log(e.message); process.exit(3); })"],
    { cwd: project, env, encoding: 'utf8' }
  );
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /no yundong binary: the package @yundong\/linux-x64 is not installed.*Set YUNDONG_BIN/s);
});
