// Must NOT compile (types.test.mjs checks that tsc rejects each marked line): the types are not `any`.
import { startYundong } from 'yundong';
import wx from 'yundong/wx';

export async function misuse(): Promise<void> {
  const yd = await startYundong({ bin: 42 }); // error: bin is a string
  const user = await yd.createUser('u');
  const n: number = await yd.login(user, 'wx0'); // error: login answers a string
  await yd.setSteps(user, '8000'); // error: steps is a number
  await yd.addFault('/sns/jscode2session', { times: 'once' }); // error: times is a number
  const s: string = (await yd.getWeRunData(user, 'wx0')).nope; // error: no such field
  wx.yundong.configure({ bsae: '' }); // error: misspelt option
  console.log(n, s);
}
