// Compiled (never run) by types.test.mjs: how the package is used from TypeScript, ESM and the wx entry.
import { startYundong, YundongError, type App, type User, type WeRunData } from 'yundong';
import wx from 'yundong/wx';

export async function usage(): Promise<void> {
  const yd = await startYundong({ corsOrigin: ['http://localhost:5173'], utcOffset: '+08:00' });
  const app: App = await yd.createApp('demo', { werunShare: true, category: '体育-在线健身' });
  const user: User = await yd.createUser('小明');
  await yd.setSteps(user, 8000, { daysAgo: 1 });
  const code: string = await yd.login(user, app);
  const data: WeRunData = await yd.getWeRunData(user.token, app.appid);
  const iv: string = data.iv;
  const rule = await yd.addFault('/sns/jscode2session', { errcode: -1, times: 1, httpStatus: 200 });
  const id: string = rule.fault_id;
  const calls = await yd.requests({ path: '/sns/jscode2session', after: 0 });
  const errcodes: Array<number | null> = calls.map((c) => c.errcode);
  const { now } = await yd.advanceClock(3600);
  await yd.applyScenario('scenarios/small.yaml');
  await yd.applyScenario({ users: [{ key: 'a', nickname: 'A' }] });
  await yd.reset({ keepApps: true });
  await yd.stop();
  try {
    await yd.login(user, app);
  } catch (e) {
    if (e instanceof YundongError) console.log(e.status, e.body, code, iv, id, errcodes, now);
  }

  wx.yundong.configure({ base: yd.url, token: user.token, appid: app.appid });
  const login = await wx.login();
  const c: string = login.code;
  wx.getWeRunData({ success: (res) => console.log(res.encryptedData, c) });
  await wx.shareToWeRun({ recordList: [{ typeId: 3001, distance: 5000 }] });
}
