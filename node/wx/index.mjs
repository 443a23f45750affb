// `import wx from 'yundong/wx'`: the browser `wx` object of yundong's /ui/wx.js (wx.js here is a byte-identical copy
// of crates/yundong-server/assets/ui/wx.js, checked by node/test/wx.test.mjs). Importing it also sets globalThis.wx,
// as loading /ui/wx.js with a <script> tag does. Point it at a server before the first call:
//
//   wx.yundong.configure({ base: 'http://127.0.0.1:8080', token: user.token, appid: app.appid });
//
// A page on another origin needs that server started with `--cors-origin <the page's origin>`.
import './wx.js';

const wx = globalThis.wx;
export default wx;
export { wx };
