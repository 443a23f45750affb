// Seeds a fresh yundong server for the browser tests through its admin and client APIs, and prints the fixture
// (apps with their secrets, users with their tokens, today's date, chats) as JSON on stdout.
//
//   YUNDONG_BASE=http://127.0.0.1:PORT/ YUNDONG_ADMIN_TOKEN=… node seed.mjs > fixture.json
import { deflateSync } from 'node:zlib';

const base = (process.env.YUNDONG_BASE || '').replace(/\/$/, '');
const admin = process.env.YUNDONG_ADMIN_TOKEN;
if (!base || !admin) {
  console.error('seed: YUNDONG_BASE and YUNDONG_ADMIN_TOKEN are required');
  process.exit(2);
}

async function call(method, path, token, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body !== undefined && !(body instanceof Uint8Array) ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = { raw: text };
  }
  const failed = res.status < 200 || res.status > 299 || (typeof data.errMsg === 'string' && !/:ok$/.test(data.errMsg));
  if (failed) throw new Error(`seed: ${method} ${path} → ${res.status} ${text}`);
  return data;
}

const adminCall = (method, path, body) => call(method, path, admin, body);

// A small PNG (a green card with a white band) for share-card thumbnails, built by hand: no image library.
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w, h, pixel) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(x, y);
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ])
  );
}
const thumbnail = png(250, 200, (x, y) => {
  const sky = [95 + Math.round((y / 200) * 100), 180 + Math.round((y / 200) * 50), 232];
  const hill = y > 120 + 30 * Math.sin(x / 40);
  const track = Math.abs(y - (170 - x / 10)) < 4;
  return track ? [246, 231, 200] : hill ? [7, 193, 96] : sky;
});

// Deterministic "random" daily steps.
function stepsFor(seed, i) {
  const v = Math.sin(seed * 97.3 + i * 12.9898) * 43758.5453;
  return 3000 + Math.floor((v - Math.floor(v)) * 11000);
}

const fit = await adminCall('POST', '/admin/v1/apps', { name: '悦跑打卡', category: '体育-在线健身', werun_share: true });
const plain = await adminCall('POST', '/admin/v1/apps', { name: '步数助手' });
// A wristband vendor's account with the device capability (may write steps of users who bound its band).
const band = await adminCall('POST', '/admin/v1/apps', { name: '乐动手环', device_steps: true });

const people = {
  me: '小明',
  red: '小红',
  wang: '老王',
  jie: '阿杰',
  lily: 'Lily',
  stranger: '陌生人',
};
const users = {};
for (const [key, nickname] of Object.entries(people)) {
  users[key] = await adminCall('POST', '/admin/v1/users', { nickname });
}
for (const friend of ['red', 'wang', 'jie', 'lily']) {
  await adminCall('POST', '/admin/v1/friendships', { a: users.me.user_id, b: users[friend].user_id });
}
await adminCall('POST', '/admin/v1/friendships', { a: users.red.user_id, b: users.wang.user_id });
await adminCall('POST', '/admin/v1/friendships', { a: users.red.user_id, b: users.lily.user_id });
// The stranger is a friend of a friend, never of "me".
await adminCall('POST', '/admin/v1/friendships', { a: users.stranger.user_id, b: users.red.user_id });

// Today, as the server's day zone has it.
const today = (await call('GET', '/client/v1/werun/ranking', users.me.token)).date;
function shift(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const todaySteps = { me: 8000, red: 15230, wang: 5012, jie: 11020, lily: 3300, stranger: 20000 };
let seed = 1;
for (const key of Object.keys(people)) {
  const token = users[key].token;
  const history = key === 'me' || key === 'red' ? 30 : 6; // a full month for two, a week for the rest
  for (let i = history; i >= 1; i--) {
    if (key === 'me' && i % 9 === 4) continue; // a few days without the phone
    await call('POST', '/client/v1/steps', token, { steps: stepsFor(seed, i), date: shift(today, -i) });
  }
  await call('POST', '/client/v1/steps', token, { steps: todaySteps[key] });
  seed++;
}

// Check-ins from the fitness app: 小红 ran, 阿杰 skipped rope.
await call('POST', '/client/v1/wx/shareToWeRun', users.red.token, {
  appid: fit.appid,
  recordList: [{ typeId: 3001, distance: 5200 }, { typeId: 1001, calorie: 320 }],
  confirm: true,
});
await call('POST', '/client/v1/wx/shareToWeRun', users.jie.token, {
  appid: fit.appid,
  recordList: [{ typeId: 4001, number: 800 }],
  confirm: true,
});

// Likes from others: 老王 and Lily like 小红's day.
await call('POST', '/client/v1/werun/like', users.wang.token, { user_id: users.red.user_id, liked: true });
await call('POST', '/client/v1/werun/like', users.lily.token, { user_id: users.red.user_id, liked: true });

// Chats: a group of runners and a direct chat; 小红 shares a card with a shareTicket into the group.
const group = await adminCall('POST', '/admin/v1/groups', {
  name: '周末跑团',
  members: [users.me.user_id, users.red.user_id, users.wang.user_id],
});
const direct = await adminCall('POST', '/admin/v1/conversations', { members: [users.me.user_id, users.red.user_id] });
const upload = await call('POST', '/client/v1/files', users.red.token, thumbnail, { 'Content-Type': 'image/png' });
const card = await call('POST', '/client/v1/wx/shareMiniProgramMessage', users.red.token, {
  conversation_id: group.conversation_id,
  appid: fit.appid,
  userName: fit.original_id,
  path: '/pages/challenge/index?id=42',
  title: '周末 10 公里挑战，一起来跑！',
  description: '悦跑打卡 · 本周已有 3 位好友参加',
  imagePath: upload.tempFilePath,
  webpageUrl: 'https://example.com/challenge',
  withShareTicket: true,
  miniprogramType: 0,
  scene: 0,
});

const fixture = {
  base,
  today,
  apps: { fit, plain, band },
  users,
  todaySteps,
  chats: { group: group.conversation_id, direct: direct.conversation_id, card: card.message_id },
};
process.stdout.write(JSON.stringify(fixture, null, 2) + '\n');
