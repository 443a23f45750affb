// index.d.ts and wx/index.d.ts: real usage compiles with the pinned TypeScript (package-lock.json), and misuse does
// not (each line of types/misuse.ts marked "error:" is reported, and nothing else), so the types are not `any`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = join(dirname(fileURLToPath(import.meta.url)), 'types');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function compile(files) {
  const config = JSON.parse(readFileSync(join(TYPES, 'tsconfig.json'), 'utf8'));
  config.files = files;
  const path = join(TYPES, 'tsconfig.generated.json');
  writeFileSync(path, JSON.stringify(config));
  const r = spawnSync(process.execPath, [tsc, '-p', path, '--pretty', 'false'], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('usage.ts compiles', () => {
  const { code, out } = compile(['usage.ts']);
  assert.equal(code, 0, out);
});

test('every marked line of misuse.ts is an error, and no other line', () => {
  const marked = readFileSync(join(TYPES, 'misuse.ts'), 'utf8')
    .split('\n')
    .flatMap((line, i) => (/\/\/ error:/.test(line) ? [i + 1] : []));
  assert.ok(marked.length >= 5);
  const { code, out } = compile(['misuse.ts']);
  assert.notEqual(code, 0);
  const lines = [...new Set([...out.matchAll(/misuse\.ts\((\d+),\d+\)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  assert.deepEqual(lines, marked, out);
});
