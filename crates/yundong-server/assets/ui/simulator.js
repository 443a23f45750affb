/*
 * 小程序模拟器: a mini program's page code, run against yundong through /ui/wx.js, plus its developer back end
 * (the code2Session exchange and the decryption of getWeRunData, done here in the browser with WebCrypto).
 */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;
  yd.tabbar('simulator');

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;
  var state = { appid: '', env: 'release', code: '', session: null, records: [], apps: null };

  // ---- step numbers: the visible steps, numbered in order (a hidden step takes no number) -------------------------
  function renumber() {
    var n = 0;
    var numbers = {};
    Array.prototype.forEach.call(document.querySelectorAll('#mp > section.card[id^="step-"]'), function (sec) {
      var no = sec.querySelector('.step-no');
      if (!no) return;
      if (sec.hidden) {
        no.textContent = '';
        return;
      }
      no.textContent = String(++n);
      numbers[sec.id] = n;
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-step-ref]'), function (el) {
      el.textContent = String(numbers[el.getAttribute('data-step-ref')] || '?');
    });
    return numbers;
  }

  /** "第 3 步" for a step's section id, as currently numbered. */
  function step(id) {
    return '第 ' + (renumber()[id] || '?') + ' 步';
  }
  wx.yundong.configure({ userId: yd.me().user_id });

  // ---- log -------------------------------------------------------------------------------------------------------
  function log(api, res) {
    var ok = res && typeof res.errMsg === 'string' && /:ok$/.test(res.errMsg);
    var t = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var line = h('div', { class: 'log-line' },
      h('time', { text: pad(t.getHours()) + ':' + pad(t.getMinutes()) + ':' + pad(t.getSeconds()) }),
      api + ' → ',
      h('span', { class: ok ? 'ok' : 'fail', text: res && res.errMsg ? res.errMsg : JSON.stringify(res) }));
    $('log').insertBefore(line, $('log').firstChild);
  }

  function errLine(res) {
    var ok = res && /:ok$/.test(res.errMsg || '');
    return h('div', { class: 'errmsg ' + (ok ? 'ok' : 'fail'), 'data-errmsg': res.errMsg || '', text: res.errMsg || '' });
  }

  function kv(pairs) {
    var dl = h('dl', { class: 'kv' });
    pairs.forEach(function (p) {
      if (p[1] == null) return;
      dl.appendChild(h('dt', { text: p[0] }));
      dl.appendChild(h('dd', { text: p[1], dataset: { key: p[0] } }));
    });
    return dl;
  }

  function show(id) {
    var box = yd.clear($(id));
    Array.prototype.slice.call(arguments, 1).forEach(function (c) { if (c) box.appendChild(c); });
    return box;
  }

  /** Calls a wx API the promise way and reports (never rejects): {errMsg, …}. */
  function call(name, opts) {
    return wx[name](opts || {}).then(
      function (res) { log('wx.' + name, res); return res; },
      function (res) { log('wx.' + name, res); return res; });
  }

  // ---- 0. open a mini program -----------------------------------------------------------------------------------
  function setEnv(env) {
    state.env = env;
    Array.prototype.forEach.call(document.querySelectorAll('#env button'), function (b) {
      var on = b.getAttribute('data-env') === env;
      b.classList.toggle('on', on);
      b.setAttribute('aria-checked', on ? 'true' : 'false');
    });
    var label = { release: '', develop: '开发版', trial: '体验版' }[env];
    $('mp-env').textContent = label;
    $('mp-env').hidden = !label || !state.appid;
    wx.yundong.configure({ envVersion: env });
  }

  $('env').addEventListener('click', function (e) {
    var env = e.target.getAttribute && e.target.getAttribute('data-env');
    if (env) setEnv(env);
  });

  function findApp(appid) {
    return (state.apps || []).filter(function (a) { return a.appid === appid; })[0] || null;
  }

  /** The deployment's apps as choices; picking one fills the AppID (and the card's original id). */
  function renderPicker() {
    var box = yd.clear($('app-picker'));
    if (!state.apps.length) {
      box.appendChild(h('div', { class: 'records-empty' }, '这个服务上还没有小程序。管理员可以用 ',
        h('span', { class: 'mono', text: 'yundong app create --name 步数挑战' }), ' 创建。'));
    }
    state.apps.forEach(function (a) {
      box.appendChild(h('button', {
        type: 'button',
        class: 'app-choice' + (a.appid === state.appid ? ' on' : ''),
        role: 'radio',
        'aria-checked': a.appid === state.appid ? 'true' : 'false',
        dataset: { appid: a.appid },
        onclick: function () {
          $('appid').value = a.appid;
          openChecked(a.appid);
        },
      }, h('span', { class: 'app-icon', text: Array.from(a.name)[0] || '小' }),
        h('span', { class: 'app-name', text: a.name }),
        h('span', { class: 'mono', text: a.appid })));
    });
  }

  /** Open `appid` if this deployment has it; otherwise say so and open nothing. */
  function openChecked(appid) {
    var err = $('open-error');
    err.hidden = true;
    if (!state.apps) {
      err.textContent = '小程序列表还没有加载，请稍后重试';
      err.hidden = false;
      return false;
    }
    var app = findApp(appid);
    if (!app) {
      err.textContent = '没有这个小程序：' + appid + '（AppID 不存在）。请从上面的列表中选择。';
      err.hidden = false;
      return false;
    }
    open(app.appid, app.name);
    if (!$('card-username').value || /^gh_/.test($('card-username').value)) $('card-username').value = app.original_id;
    applyLaunch(null);
    renderPicker();
    return true;
  }

  function open(appid, name) {
    state.appid = appid;
    state.code = '';
    state.session = null;
    wx.yundong.configure({ appid: appid, appName: name || '', envVersion: state.env });
    $('mp-title').textContent = name || (appid.length > 12 ? appid.slice(0, 8) + '…' + appid.slice(-4) : appid);
    $('mp-env').hidden = state.env === 'release';
    $('mp').hidden = false;
    ['login-result', 'authorize-result', 'exchange-result', 'upload-result', 'werun-result', 'share-result', 'shareinfo-result', 'card-result'].forEach(function (id) { yd.clear($(id)); });
    sessionStorage.setItem('yundong.sim.appid', appid);
    sessionStorage.setItem('yundong.sim.name', name || '');
    history.replaceState(null, '', '/ui/simulator?appid=' + encodeURIComponent(appid) + (name ? '&name=' + encodeURIComponent(name) : ''));
    log('打开小程序 ' + appid, { errMsg: 'navigateToMiniProgram:ok' });
  }

  $('open').addEventListener('submit', function (e) {
    e.preventDefault();
    var appid = $('appid').value.trim();
    if (!appid) return;
    openChecked(appid);
  });

  // ---- 1. wx.login ------------------------------------------------------------------------------------------------
  $('login').addEventListener('click', function () {
    call('login').then(function (res) {
      if (res.code) state.code = res.code;
      show('login-result', errLine(res), res.code ? kv([['code', res.code]]) : null);
    });
  });

  // ---- 2. wx.authorize / wx.openSetting ---------------------------------------------------------------------------
  function settingLine(res) {
    var set = res.authSetting || {};
    var v = set['scope.werun'];
    return kv([['scope.werun', v === true ? 'true（已允许）' : v === false ? 'false（已拒绝）' : '未决定']]);
  }

  $('authorize').addEventListener('click', function () {
    call('authorize', { scope: 'scope.werun' }).then(function (res) {
      return call('getSetting').then(function (set) {
        show('authorize-result', errLine(res), settingLine(set));
      });
    });
  });

  $('open-setting').addEventListener('click', function () {
    call('openSetting').then(function (res) {
      show('authorize-result', errLine(res), settingLine(res));
    });
  });

  // ---- 3. the back end: code2Session ------------------------------------------------------------------------------
  $('exchange').addEventListener('click', function () {
    var secret = $('secret').value.trim();
    if (!state.code) {
      show('exchange-result', h('div', { class: 'fail', text: '请先完成' + step('step-login') + ' wx.login 获取 code' }));
      return;
    }
    var q = new URLSearchParams({ appid: state.appid, secret: secret, js_code: state.code, grant_type: 'authorization_code' });
    fetch('/sns/jscode2session?' + q.toString(), { cache: 'no-store', credentials: 'omit' })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.session_key) {
          state.session = res;
          state.code = ''; // a code works once
          log('GET /sns/jscode2session', { errMsg: 'code2Session:ok' });
          show('exchange-result', h('div', { class: 'errmsg ok', text: 'openid 与 session_key 已获取' }),
            kv([['openid', res.openid], ['session_key', res.session_key], ['unionid', res.unionid]]));
        } else {
          log('GET /sns/jscode2session', { errMsg: 'code2Session:fail ' + res.errcode + ' ' + res.errmsg });
          show('exchange-result', h('div', { class: 'errmsg fail', 'data-errcode': String(res.errcode), text: 'errcode ' + res.errcode + '：' + res.errmsg }));
        }
      }, function () {
        show('exchange-result', h('div', { class: 'fail', text: '请求失败：网络错误，请检查网络连接后重试' }));
      });
  });

  // ---- 4. the phone's step sensor ---------------------------------------------------------------------------------
  $('upload').addEventListener('click', function () {
    var n = Number($('steps').value);
    if (!$('steps').value || !Number.isInteger(n) || n < 0) {
      show('upload-result', h('div', { class: 'fail', text: '请输入非负整数步数' }));
      return;
    }
    yd.api('POST', '/client/v1/steps', { steps: n }).then(function (r) {
      log('POST /client/v1/steps', r.body);
      show('upload-result', errLine(r.body), r.ok ? kv([['日期', r.body.date], ['本来源', String(r.body.step)], ['今日总步数', String(r.body.total)]]) : null);
    });
  });

  // ---- 5. wx.getWeRunData and its decryption ----------------------------------------------------------------------
  function b64(s) {
    var bin = atob(String(s).replace(/ /g, '+'));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** AES-128-CBC with PKCS#7 under the session_key: WebCrypto strips the padding and rejects a wrong key. */
  function decrypt(sessionKey, iv, encryptedData) {
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.reject(new Error('浏览器未提供 WebCrypto（需要 HTTPS 或 localhost 访问）'));
    }
    var subtle = window.crypto.subtle;
    return subtle.importKey('raw', b64(sessionKey), { name: 'AES-CBC' }, false, ['decrypt'])
      .then(function (key) { return subtle.decrypt({ name: 'AES-CBC', iv: b64(iv) }, key, b64(encryptedData)); })
      .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  function decryptedView(data) {
    var list = data.stepInfoList || [];
    var last = list[list.length - 1] || { step: 0 };
    var max = Math.max.apply(null, list.map(function (d) { return d.step; }).concat([1]));
    var bars = h('div', { class: 'mini-bars', 'aria-hidden': 'true' });
    list.forEach(function (d, i) {
      var bar = h('i', { class: i === list.length - 1 ? 'mini-today' : '', title: d.step });
      bar.style.height = Math.max(2, Math.round((d.step / max) * 100)) + '%';
      bars.appendChild(bar);
    });
    var wm = data.watermark || {};
    var match = wm.appid === state.appid;
    return h('div', { class: 'decrypted', id: 'decrypted' },
      h('div', { class: 'decrypted-head' }, h('span', { text: '解密结果 · 今日步数' }), h('span', { text: list.length + ' 天' })),
      h('div', { class: 'decrypted-steps', id: 'decrypted-today', 'data-step': String(last.step), text: yd.num(last.step) }),
      bars,
      h('div', { class: 'watermark' },
        h('span', { class: match ? 'ok' : 'fail', text: match ? '✓ ' : '✗ ' }),
        'watermark.appid ' + (match ? '与本小程序一致' : '与本小程序不一致') + ' · 时间 ' + yd.time(wm.timestamp || 0)),
      h('details', { class: 'plain' }, h('summary', { text: '查看解密后的明文 JSON' }),
        h('pre', { class: 'code-box code-box-tall', id: 'decrypted-json', text: JSON.stringify(data, null, 1) })));
  }

  $('werun').addEventListener('click', function () {
    call('getWeRunData').then(function (res) {
      if (!res.encryptedData) {
        show('werun-result', errLine(res),
          /need login$/.test(res.errMsg || '') ? h('div', { class: 'hint fail', id: 'redo-hint', text: '没有有效的登录态：请先完成' + step('step-login') + '（wx.login）和' + step('step-backend') + '（code2Session），再重试。' }) : null);
        return;
      }
      var parts = [errLine(res),
        kv([['encryptedData', null]]),
        h('pre', { class: 'code-box', id: 'encrypted-data', text: res.encryptedData }),
        kv([['iv', res.iv], ['cloudID', res.cloudID]])];
      show.apply(null, ['werun-result'].concat(parts));
      var box = $('werun-result');
      if (!state.session) {
        box.appendChild(h('div', { class: 'hint fail', text: '没有 session_key：请先在' + step('step-backend') + '换取，才能解密。' }));
        return;
      }
      decrypt(state.session.session_key, res.iv, res.encryptedData).then(function (data) {
        box.appendChild(decryptedView(data));
        log('后端解密 encryptedData', { errMsg: 'decrypt:ok' });
      }, function (err) {
        // WebCrypto says only "OperationError": the cause is almost always a session_key that is no longer the one
        // the data was encrypted with (it expired, or a later login replaced it).
        box.appendChild(h('div', { class: 'fail', id: 'decrypt-error', text: '解密失败：session_key 已失效（已过期，或被之后的登录替换）。请重新执行' + step('step-login') + '（wx.login）和' + step('step-backend') + '（code2Session），再获取一次。' }));
        log('后端解密 encryptedData', { errMsg: 'decrypt:fail ' + (err.message || err.name) });
      });
    });
  });

  // ---- 6. wx.shareToWeRun -----------------------------------------------------------------------------------------
  var sports = wx.yundong.sports;
  Object.keys(sports).forEach(function (id) {
    $('sport').appendChild(h('option', { value: id, text: sports[id][0] + '（' + id + '）' }));
  });
  $('sport').value = '3001';

  function fillUnits() {
    var units = sports[$('sport').value][1];
    var sel = yd.clear($('unit'));
    units.forEach(function (u) {
      var label = { time: '时长（分钟）', distance: '距离（米）', calorie: '热量（千卡）', number: '个数' }[u];
      sel.appendChild(h('option', { value: u, text: label }));
    });
  }
  $('sport').addEventListener('change', fillUnits);
  fillUnits();

  function renderRecords() {
    var ul = yd.clear($('records'));
    if (!state.records.length) ul.appendChild(h('li', { class: 'records-empty', text: '还没有记录，最多 10 条' }));
    state.records.forEach(function (r, i) {
      var t = yd.record(r);
      ul.appendChild(h('li', {},
        h('span', {}, h('b', { text: t[0] }), ' ' + t[1]),
        h('button', { type: 'button', 'aria-label': '删除', text: '×', onclick: function () { state.records.splice(i, 1); renderRecords(); } })));
    });
    $('share').disabled = !state.records.length;
  }
  renderRecords();

  $('add-record').addEventListener('click', function () {
    var v = Number($('value').value);
    if (!$('value').value || !Number.isInteger(v) || v < 1) {
      yd.toast('请输入正整数数值');
      return;
    }
    if (state.records.length >= 10) {
      yd.toast('最多 10 条记录');
      return;
    }
    var rec = { typeId: Number($('sport').value) };
    rec[$('unit').value] = v;
    state.records.push(rec);
    $('value').value = '';
    renderRecords();
  });

  $('share').addEventListener('click', function () {
    var recordList = state.records.map(function (r) { return Object.assign({}, r); });
    call('shareToWeRun', { recordList: recordList }).then(function (res) {
      var ok = /:ok$/.test(res.errMsg || '');
      show('share-result', errLine(res),
        ok ? kv([['打卡日期', res.date], ['展示', res.shown ? '是（排行榜与详情页）' : '否（开发版/体验版）']]) : null,
        ok && res.shown ? h('a', { href: '/ui/ranking', class: 'btn btn-secondary', id: 'to-ranking', text: '去排行榜查看' }) : null);
      if (ok) {
        state.records = [];
        renderRecords();
      }
    });
  });

  // ---- launched from a chat card: launch options and wx.getShareInfo ---------------------------------------------
  var SCENES = { 1007: '单人聊天会话中的小程序消息卡片', 1008: '群聊会话中的小程序消息卡片', 1044: '带 shareTicket 的小程序消息卡片' };

  function applyLaunch(launch) {
    wx.yundong.configure({ launch: launch });
    $('launch').hidden = !launch;
    $('step-shareinfo').hidden = !(launch && launch.shareTicket);
    renumber();
    if (!launch) return;
    var o = wx.getLaunchOptionsSync();
    show('launch-info', kv([
      ['path', o.path + (Object.keys(o.query).length ? '?' + new URLSearchParams(o.query).toString() : '')],
      ['scene', o.scene + (SCENES[o.scene] ? '（' + SCENES[o.scene] + '）' : '')],
      ['shareTicket', o.shareTicket || '无（仅群聊中带 shareTicket 的卡片才有）'],
    ]));
  }

  $('shareinfo').addEventListener('click', function () {
    var ticket = wx.getLaunchOptionsSync().shareTicket;
    call('getShareInfo', { shareTicket: ticket }).then(function (res) {
      if (!res.encryptedData) {
        show('shareinfo-result', errLine(res));
        return;
      }
      show('shareinfo-result', errLine(res), kv([['iv', res.iv], ['cloudID', res.cloudID]]), h('pre', { class: 'code-box', text: res.encryptedData }));
      var box = $('shareinfo-result');
      if (!state.session) {
        box.appendChild(h('div', { class: 'hint fail', text: '没有 session_key：请先在' + step('step-backend') + '换取，才能解密。' }));
        return;
      }
      decrypt(state.session.session_key, res.iv, res.encryptedData).then(function (data) {
        var wm = data.watermark || {};
        box.appendChild(h('div', { class: 'decrypted', id: 'share-decrypted' },
          h('div', { class: 'decrypted-head' }, h('span', { text: '解密结果 · openGId' })),
          h('div', { class: 'mono', id: 'open-gid', text: data.openGId }),
          h('div', { class: 'watermark' }, h('span', { class: wm.appid === state.appid ? 'ok' : 'fail', text: wm.appid === state.appid ? '✓ ' : '✗ ' }), 'watermark.appid ' + (wm.appid === state.appid ? '与本小程序一致' : '不一致'))));
        log('后端解密群信息', { errMsg: 'decrypt:ok' });
      }, function (err) {
        box.appendChild(h('div', { class: 'fail', text: '解密失败：session_key 已失效。请重新执行' + step('step-login') + '和' + step('step-backend') + '。' }));
      });
    });
  });

  // ---- 8. sharing a card into a chat -------------------------------------------------------------------------------
  /** A 5:4 thumbnail drawn on a canvas, as JPEG (well under the 128 KB limit). */
  function thumbnail(title) {
    var c = document.createElement('canvas');
    c.width = 500;
    c.height = 400;
    var g = c.getContext('2d');
    var grad = g.createLinearGradient(0, 0, 500, 400);
    grad.addColorStop(0, '#07c160');
    grad.addColorStop(1, '#10aeff');
    g.fillStyle = grad;
    g.fillRect(0, 0, 500, 400);
    g.fillStyle = 'rgba(255,255,255,0.18)';
    g.beginPath();
    g.arc(420, 70, 120, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#fff';
    g.font = '600 40px sans-serif';
    g.fillText(title.slice(0, 10), 36, 110);
    var steps = $('decrypted-today') ? $('decrypted-today').getAttribute('data-step') : null;
    g.font = '700 96px sans-serif';
    g.fillText(steps ? yd.num(steps) : '运动', 36, 260);
    g.font = '32px sans-serif';
    g.fillText(steps ? '今日步数' : '一起来打卡', 40, 320);
    return new Promise(function (resolve) { c.toBlob(resolve, 'image/jpeg', 0.85); });
  }

  $('share-card').addEventListener('click', function () {
    var title = $('card-title').value.trim();
    thumbnail(title || '小程序').then(function (blob) {
      return wx.yundong.uploadFile(blob);
    }).then(function (up) {
      log('POST /client/v1/files', up);
      return call('shareMiniProgramMessage', {
        userName: $('card-username').value.trim(),
        path: $('card-path').value.trim(),
        title: title,
        description: $('card-desc').value.trim(),
        imagePath: up.tempFilePath,
        webpageUrl: location.origin + '/ui/',
        withShareTicket: $('card-ticket').checked,
        miniprogramType: { release: 0, develop: 1, trial: 2 }[state.env],
        scene: 0,
      });
    }, function (res) {
      log('POST /client/v1/files', res);
      return res;
    }).then(function (res) {
      var ok = /:ok$/.test(res.errMsg || '');
      show('card-result', errLine(res), ok ? h('a', { class: 'btn btn-secondary', href: '/ui/chat', id: 'to-chat', text: '去聊天查看' }) : null);
    });
  });

  // ---- start ------------------------------------------------------------------------------------------------------
  var launch = null;
  try {
    launch = yd.param('launch') ? JSON.parse(sessionStorage.getItem('yundong.sim.launch') || 'null') : null;
  } catch (_) {
    launch = null;
  }
  var initial = yd.param('appid') || sessionStorage.getItem('yundong.sim.appid');
  renumber();
  function start() {
    yd.api('GET', '/client/v1/apps').then(function (r) {
      if (!r.ok) {
        if (r.status === 401) return;
        yd.errorState($('app-picker'), '无法获取小程序列表', r, function () { yd.clear($('app-picker')); start(); });
        return;
      }
      state.apps = r.body.apps;
      renderPicker();
      if (initial) {
        $('appid').value = initial;
        // Only an app of this deployment opens; its name comes from the deployment, not from the URL.
        if (openChecked(initial)) applyLaunch(launch && launch.appid === state.appid ? launch : null);
      }
      document.body.setAttribute('data-apps', String(state.apps.length));
    });
  }
  start();
})();
