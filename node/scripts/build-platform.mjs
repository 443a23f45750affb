#!/usr/bin/env node
// Build the platform package of this machine (npm/<platform>-<arch>/, e.g. @yundong/linux-x64) from a yundong binary:
// copies BINARY into its bin/ (mode 0755) and checks that the package's version is the yundong package's (npm
// installs the optional dependency only at that exact version).
//
//   node scripts/build-platform.mjs target/release/yundong        → node/npm/linux-x64/bin/yundong
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const binary = process.argv[2];
if (!binary || !existsSync(binary)) {
  console.error('usage: build-platform.mjs BINARY (a yundong release binary for this machine)');
  process.exit(2);
}
const dir = join(ROOT, 'npm', `${process.platform}-${process.arch}`);
if (!existsSync(join(dir, 'package.json'))) {
  console.error(`no platform package for ${process.platform}-${process.arch} (npm/ has linux-x64 only)`);
  process.exit(2);
}
const main = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const platform = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const wanted = main.optionalDependencies?.[platform.name];
if (platform.version !== main.version || wanted !== main.version) {
  console.error(`versions disagree: yundong ${main.version}, ${platform.name} ${platform.version}, dependency ${wanted}`);
  process.exit(1);
}
mkdirSync(join(dir, 'bin'), { recursive: true });
const out = join(dir, 'bin', 'yundong');
copyFileSync(binary, out);
chmodSync(out, 0o755);
console.log(out);
