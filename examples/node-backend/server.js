'use strict';
// Serve the example back end: WECHAT_APPID=… WECHAT_SECRET=… [WECHAT_API_BASE=…] [PORT=3000] node server.js
const { createApp } = require('./app');

const port = Number(process.env.PORT || 3000);
createApp().listen(port, '127.0.0.1', () => console.log(`back end on http://127.0.0.1:${port}`));
