/*
 * yundong wx.js: a `wx` object for mini-program page code running in a browser against yundong.
 *
 * Each call maps onto yundong's client API (docs/API.md §2) with the signed-in user's bearer token (sessionStorage
 * "yundong.token", or wx.yundong.configure({token})). The client API's errMsg is passed through unchanged.
 * Like WeChat: with any of success/fail/complete the call reports through them and returns undefined; without
 * them it returns a Promise that resolves on "<api>:ok" and rejects with the result object otherwise.
 *
 * The dialogs WeChat itself shows (the authorization dialog, the shareToWeRun confirmation, the settings page,
 * showModal/showToast) are drawn here, in the page; wx.yundong.configure({dialogs: {...}}) replaces any of them
 * with a function returning a Promise of the user's answer.
 *
 *   wx.yundong.configure({ appid: 'wx…', envVersion: 'release', appName: '跑步助手' });
 *   const { code } = await wx.login();
 *   wx.getWeRunData({ success(res) { … res.encryptedData, res.iv … }, fail(res) { … res.errMsg … } });
 */
(function (global) {
  'use strict';

  var TOKEN_KEY = 'yundong.token';

  var config = {
    appid: '',
    appName: '',
    envVersion: 'release',
    token: null,
    base: '',
    dialogs: {},
    launch: null,
    userId: null,
  };

  // The sport catalog of wx.shareToWeRun (docs/WECHAT.md §5.2): typeId → [name, allowed units].
  var SPORTS = {
    1001: ['锻炼', ['time', 'calorie']],
    1002: ['体能训练', ['time', 'calorie']],
    1003: ['功能性训练', ['time', 'calorie']],
    2001: ['瑜伽', ['time', 'calorie']],
    2002: ['钓鱼', ['time', 'calorie']],
    2003: ['广场舞', ['time', 'calorie']],
    2004: ['踢足球', ['time', 'calorie']],
    2005: ['打篮球', ['time', 'calorie']],
    2006: ['打羽毛球', ['time', 'calorie']],
    2007: ['打乒乓球', ['time', 'calorie']],
    2008: ['打网球', ['time', 'calorie']],
    3001: ['跑步', ['time', 'distance', 'calorie']],
    3002: ['登山', ['time', 'distance', 'calorie']],
    3003: ['骑车', ['time', 'distance', 'calorie']],
    3004: ['游泳', ['time', 'distance', 'calorie']],
    3005: ['滑雪', ['time', 'distance', 'calorie']],
    4001: ['跳绳', ['number', 'calorie']],
    4002: ['俯卧撑', ['number', 'calorie']],
    4003: ['深蹲', ['number', 'calorie']],
  };
  var UNITS = { time: '分钟', distance: '米', calorie: '千卡', number: '个' };

  // What the authorization dialog asks for, and the label in the settings page.
  var SCOPES = {
    'scope.werun': ['获取你的微信运动步数', '微信运动步数'],
    'scope.userInfo': ['获取你的昵称、头像', '用户信息'],
    'scope.userLocation': ['获取你的位置信息', '位置信息'],
    'scope.userFuzzyLocation': ['获取你的模糊位置信息', '模糊位置信息'],
    'scope.record': ['使用你的麦克风', '麦克风'],
    'scope.writePhotosAlbum': ['保存图片或视频到你的相册', '添加到相册'],
    'scope.camera': ['使用你的摄像头', '摄像头'],
    'scope.bluetooth': ['使用你的蓝牙', '蓝牙'],
  };

  function token() {
    if (config.token) return config.token;
    try {
      return global.sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  /** One client-API call. Always resolves with an object carrying errMsg: the server's own, unchanged, if it sent one. */
  function request(name, method, path, body) {
    var headers = { Accept: 'application/json' };
    var t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return global
      .fetch(config.base + path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      })
      .then(
        function (res) {
          return res.text().then(function (text) {
            var data = null;
            try {
              data = JSON.parse(text);
            } catch (_) {
              data = null;
            }
            if (data && typeof data === 'object' && typeof data.errMsg === 'string') return data;
            var why = data && data.error && data.error.message ? data.error.message : 'HTTP ' + res.status;
            return { errMsg: name + ':fail ' + why };
          });
        },
        function (err) {
          return { errMsg: name + ':fail network error: ' + (err && err.message ? err.message : String(err)) };
        }
      );
  }

  function isOk(res) {
    return !!res && typeof res.errMsg === 'string' && /:ok$/.test(res.errMsg);
  }

  /** A failure of `name` carrying the reason of another call's failure ("getSetting:fail x" → "authorize:fail x"). */
  function failAs(name, res) {
    var reason = String((res && res.errMsg) || '').replace(/^[^:]*:fail ?/, '');
    return { errMsg: name + ':fail ' + reason };
  }

  function report(fn, res) {
    if (typeof fn !== 'function') return;
    try {
      fn(res);
    } catch (e) {
      if (global.console) global.console.error(e);
    }
  }

  /** Wrap an implementation (options → Promise of a result with errMsg) in WeChat's callback/promise convention. */
  function define(name, impl) {
    return function (options) {
      var opts = options && typeof options === 'object' ? options : {};
      var callbacks = typeof opts.success === 'function' || typeof opts.fail === 'function' || typeof opts.complete === 'function';
      var done = Promise.resolve()
        .then(function () {
          return impl(opts);
        })
        .then(
          function (res) {
            return res && typeof res.errMsg === 'string' ? res : { errMsg: name + ':fail invalid response' };
          },
          function (err) {
            return { errMsg: name + ':fail ' + (err && err.message ? err.message : String(err)) };
          }
        );
      if (callbacks) {
        done.then(function (res) {
          report(isOk(res) ? opts.success : opts.fail, res);
          report(opts.complete, res);
        });
        return undefined;
      }
      return done.then(function (res) {
        return isOk(res) ? res : Promise.reject(res);
      });
    };
  }

  function q(v) {
    return encodeURIComponent(v == null ? '' : String(v));
  }

  function getSetting() {
    return request('getSetting', 'GET', '/client/v1/wx/getSetting?appid=' + q(config.appid));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The dialogs WeChat draws. Each returns a Promise of the user's answer.

  function ensureCss() {
    var doc = global.document;
    if (!doc || doc.querySelector('link[data-wx-css]')) return;
    var link = doc.createElement('link');
    link.rel = 'stylesheet';
    link.href = config.base + '/ui/wx.css';
    link.setAttribute('data-wx-css', '');
    doc.head.appendChild(link);
  }

  function el(tag, cls, text) {
    var e = global.document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }

  function appLabel() {
    return config.appName || config.appid || '小程序';
  }

  function appIcon() {
    var icon = el('span', 'wx-app-icon', Array.from(appLabel())[0] || '小');
    icon.setAttribute('aria-hidden', 'true');
    return icon;
  }

  /** A bottom sheet (or a centred modal) with buttons; resolves with the value of the button pressed. */
  function sheet(kind, build, buttons, centred) {
    ensureCss();
    return new Promise(function (resolve) {
      var doc = global.document;
      var mask = el('div', 'wx-mask' + (centred ? ' wx-mask-centre' : ''));
      var box = el('div', centred ? 'wx-modal' : 'wx-sheet');
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('data-wx-dialog', kind);
      build(box);
      var row = el('div', 'wx-buttons');
      var primary = null;
      buttons.forEach(function (b) {
        var btn = el('button', 'wx-btn ' + (b.primary ? 'wx-btn-primary' : 'wx-btn-default'), b.text);
        btn.type = 'button';
        btn.setAttribute('data-answer', b.answer);
        btn.addEventListener('click', function () {
          mask.classList.add('wx-leaving');
          global.setTimeout(function () {
            mask.remove();
          }, 120);
          resolve(b.value);
        });
        if (b.primary) primary = btn;
        row.appendChild(btn);
      });
      box.appendChild(row);
      mask.appendChild(box);
      doc.body.appendChild(mask);
      if (primary) primary.focus({ preventScroll: true });
    });
  }

  function askAuthorize(info) {
    var scope = SCOPES[info.scope] || [info.scope, info.scope];
    return sheet(
      'authorize',
      function (box) {
        var head = el('div', 'wx-sheet-head');
        head.appendChild(appIcon());
        head.appendChild(el('span', 'wx-app-name', appLabel()));
        head.appendChild(el('span', 'wx-muted', ' 申请'));
        box.appendChild(head);
        box.appendChild(el('div', 'wx-sheet-title', scope[0]));
        if (info.scope === 'scope.werun') {
          box.appendChild(el('div', 'wx-sheet-desc', '小程序将获得你最近31天的微信运动步数。'));
        }
      },
      [
        { text: '拒绝', value: false, answer: 'deny' },
        { text: '允许', value: true, answer: 'allow', primary: true },
      ]
    );
  }

  function recordText(r) {
    var sport = SPORTS[r.typeId];
    var unit = ['time', 'distance', 'calorie', 'number'].filter(function (u) {
      return r[u] != null;
    })[0];
    var value = unit ? r[unit] : '';
    var label = unit ? UNITS[unit] : '';
    if (unit === 'distance' && value >= 1000) {
      value = (value / 1000).toFixed(2);
      label = '公里';
    }
    return [sport ? sport[0] : '运动 ' + r.typeId, (unit === 'calorie' ? '消耗 ' : '') + value + ' ' + label];
  }

  function askShareToWeRun(info) {
    return sheet(
      'shareToWeRun',
      function (box) {
        var head = el('div', 'wx-sheet-head');
        head.appendChild(appIcon());
        head.appendChild(el('span', 'wx-app-name', appLabel()));
        box.appendChild(head);
        box.appendChild(el('div', 'wx-sheet-title', '同步运动记录到微信运动'));
        box.appendChild(el('div', 'wx-sheet-desc', '确认后，记录将展示在微信运动排行榜和详情页。'));
        if (config.envVersion !== 'release') {
          box.appendChild(el('div', 'wx-sheet-note', (config.envVersion === 'trial' ? '体验版' : '开发版') + '的打卡不会展示在微信运动中。'));
        }
        var list = el('ul', 'wx-records');
        (info.recordList || []).forEach(function (r) {
          var t = recordText(r || {});
          var li = el('li', 'wx-record');
          li.appendChild(el('span', 'wx-record-name', t[0]));
          li.appendChild(el('span', 'wx-record-value', t[1]));
          list.appendChild(li);
        });
        box.appendChild(list);
      },
      [
        { text: '取消', value: false, answer: 'cancel' },
        { text: '确定', value: true, answer: 'confirm', primary: true },
      ]
    );
  }

  function askOpenSetting(info) {
    ensureCss();
    return new Promise(function (resolve) {
      var doc = global.document;
      var page = el('div', 'wx-setting-page');
      page.setAttribute('role', 'dialog');
      page.setAttribute('aria-modal', 'true');
      page.setAttribute('data-wx-dialog', 'openSetting');
      var bar = el('div', 'wx-setting-bar');
      var back = el('button', 'wx-setting-back', '‹ 返回');
      back.type = 'button';
      back.setAttribute('data-answer', 'back');
      bar.appendChild(back);
      bar.appendChild(el('span', 'wx-setting-title', '设置'));
      page.appendChild(bar);
      page.appendChild(el('div', 'wx-setting-caption', '允许“' + appLabel() + '”使用我的'));
      var list = el('div', 'wx-setting-list');
      var state = {};
      var scopes = Object.keys(info.authSetting || {});
      scopes.forEach(function (scope) {
        state[scope] = !!info.authSetting[scope];
        var label = el('label', 'wx-setting-row');
        label.appendChild(el('span', 'wx-setting-name', (SCOPES[scope] || [scope, scope])[1]));
        var sw = el('input', 'wx-switch');
        sw.type = 'checkbox';
        sw.setAttribute('role', 'switch');
        sw.setAttribute('data-scope', scope);
        sw.checked = state[scope];
        sw.addEventListener('change', function () {
          state[scope] = sw.checked;
        });
        label.appendChild(sw);
        list.appendChild(label);
      });
      if (!scopes.length) list.appendChild(el('div', 'wx-setting-empty', '该小程序尚未申请任何权限'));
      page.appendChild(list);
      back.addEventListener('click', function () {
        page.remove();
        resolve(state);
      });
      doc.body.appendChild(page);
      back.focus({ preventScroll: true });
    });
  }

  function askModal(info) {
    var buttons = [];
    if (info.showCancel !== false) buttons.push({ text: info.cancelText || '取消', value: false, answer: 'cancel' });
    buttons.push({ text: info.confirmText || '确定', value: true, answer: 'confirm', primary: true });
    return sheet(
      'showModal',
      function (box) {
        if (info.title) box.appendChild(el('div', 'wx-modal-title', info.title));
        if (info.content) box.appendChild(el('div', 'wx-modal-content', info.content));
      },
      buttons,
      true
    );
  }

  function showToastNow(info) {
    ensureCss();
    var doc = global.document;
    var old = doc.querySelector('.wx-toast');
    if (old) old.remove();
    var toast = el('div', 'wx-toast' + (info.icon === 'none' ? ' wx-toast-text' : ''));
    toast.setAttribute('role', 'status');
    if (info.icon !== 'none') toast.appendChild(el('span', 'wx-toast-icon' + (info.icon === 'error' ? ' wx-toast-error' : ''), info.icon === 'error' ? '!' : '✓'));
    toast.appendChild(el('span', 'wx-toast-title', info.title || ''));
    doc.body.appendChild(toast);
    global.setTimeout(function () {
      toast.remove();
    }, info.duration > 0 ? info.duration : 1500);
  }

  function convName(c) {
    if (c.name) return c.name;
    var others = (c.members || []).filter(function (m) { return m.user_id !== config.userId; });
    return others.map(function (m) { return m.nickname; }).join('、') || '聊天';
  }

  /** WeChat's "send to" picker: resolves with a conversation_id, or null when cancelled. */
  function askChooseChat(info) {
    ensureCss();
    return new Promise(function (resolve) {
      var doc = global.document;
      var mask = el('div', 'wx-mask');
      var box = el('div', 'wx-sheet wx-sheet-list');
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('data-wx-dialog', 'chooseChat');
      box.appendChild(el('div', 'wx-sheet-title wx-sheet-title-top', '发送给'));
      var done = function (value) {
        mask.remove();
        resolve(value);
      };
      var list = el('div', 'wx-chat-list');
      (info.conversations || []).forEach(function (c) {
        var b = el('button', 'wx-chat-item');
        b.type = 'button';
        b.setAttribute('data-conversation-id', String(c.conversation_id));
        var chars = Array.from(convName(c));
        var cjk = chars.filter(function (ch) { return /[\u3400-\u9fff]/.test(ch); });
        var initial = c.kind === 'group' ? '群' : cjk.length ? cjk[cjk.length - 1] : (chars[0] || '?').toUpperCase();
        var icon = el('span', 'wx-chat-icon' + (c.kind === 'group' ? ' wx-chat-group' : ''), initial);
        b.appendChild(icon);
        b.appendChild(el('span', 'wx-chat-name', convName(c)));
        if (c.kind === 'group') b.appendChild(el('span', 'wx-muted', '（' + (c.members || []).length + '）'));
        b.addEventListener('click', function () { done(c.conversation_id); });
        list.appendChild(b);
      });
      if (!(info.conversations || []).length) {
        list.appendChild(el('div', 'wx-setting-empty', '没有可以发送的聊天。管理员可以用 yundong group create --name 跑团 --members 1,2,3 创建群聊。'));
      }
      box.appendChild(list);
      var row = el('div', 'wx-buttons');
      var cancel = el('button', 'wx-btn wx-btn-default', '取消');
      cancel.type = 'button';
      cancel.setAttribute('data-answer', 'cancel');
      cancel.addEventListener('click', function () { done(null); });
      row.appendChild(cancel);
      box.appendChild(row);
      mask.appendChild(box);
      doc.body.appendChild(mask);
    });
  }

  function dialog(kind, fallback) {
    return function (info) {
      var custom = config.dialogs && config.dialogs[kind];
      return Promise.resolve(typeof custom === 'function' ? custom(info) : fallback(info));
    };
  }

  var ask = {
    authorize: dialog('authorize', askAuthorize),
    shareToWeRun: dialog('shareToWeRun', askShareToWeRun),
    openSetting: dialog('openSetting', askOpenSetting),
    showModal: dialog('showModal', askModal),
    chooseChat: dialog('chooseChat', askChooseChat),
  };

  // ---------------------------------------------------------------------------------------------------------------
  // The wx.* calls.

  var wx = {};

  wx.login = define('login', function () {
    return request('login', 'POST', '/client/v1/wx/login', { appid: config.appid });
  });

  wx.getSetting = define('getSetting', function () {
    return getSetting();
  });

  /** The dialog is shown only for a scope the user has not decided; a denied scope fails without asking again. */
  wx.authorize = define('authorize', function (opts) {
    var scope = opts.scope;
    return getSetting().then(function (set) {
      if (!isOk(set)) return failAs('authorize', set);
      var decided = set.authSetting && Object.prototype.hasOwnProperty.call(set.authSetting, scope);
      var answer = decided ? Promise.resolve(true) : SCOPES[scope] ? ask.authorize({ scope: scope }) : Promise.resolve(false);
      return answer.then(function (allow) {
        return request('authorize', 'POST', '/client/v1/wx/authorize', { appid: config.appid, scope: scope, allow: !!allow });
      });
    });
  });

  /** The settings page: lists the scopes the app asked for; the user flips them and comes back. */
  wx.openSetting = define('openSetting', function () {
    return getSetting().then(function (set) {
      if (!isOk(set)) return failAs('openSetting', set);
      return ask.openSetting({ authSetting: set.authSetting || {} }).then(function (authSetting) {
        return request('openSetting', 'POST', '/client/v1/wx/openSetting', { appid: config.appid, authSetting: authSetting || {} });
      });
    });
  });

  /**
   * The `timeout` option (ms, base library 1.9.90) of getWeRunData and getShareInfo: a positive number limits the
   * time spent waiting for the server, not the time the user spends in WeChat's authorization dialog. Past it the
   * call fails with "<api>:fail timeout" and a late answer is dropped. Anything else (absent, 0, negative, not a
   * number) sets no limit.
   */
  function budget(ms) {
    var limit = typeof ms === 'number' && isFinite(ms) && ms > 0 ? ms : 0;
    return function (name, promise) {
      if (!limit) return promise;
      var started = Date.now();
      return new Promise(function (resolve) {
        var timer = global.setTimeout(function () {
          resolve({ errMsg: name + ':fail timeout' });
        }, limit);
        promise.then(function (res) {
          global.clearTimeout(timer);
          limit = Math.max(1, limit - (Date.now() - started));
          resolve(res);
        });
      });
    };
  }

  /** The server says when the authorization dialog is due ("authorize no response"); the answer goes back as allow. */
  wx.getWeRunData = define('getWeRunData', function (opts) {
    var path = '/client/v1/wx/getWeRunData';
    var timed = budget(opts.timeout);
    return timed('getWeRunData', request('getWeRunData', 'POST', path, { appid: config.appid })).then(function (res) {
      if (res.errMsg !== 'getWeRunData:fail authorize no response') return res;
      return ask.authorize({ scope: 'scope.werun' }).then(function (allow) {
        return timed('getWeRunData', request('getWeRunData', 'POST', path, { appid: config.appid, allow: !!allow }));
      });
    });
  });

  /**
   * The confirmation dialog is shown only for a call WeChat would put to the user: the server first checks the
   * app's permission and the records with confirm:false (answered "fail cancel", nothing stored), then the user's
   * answer is sent. Cancelling answers that "shareToWeRun:fail cancel".
   */
  wx.shareToWeRun = define('shareToWeRun', function (opts) {
    var path = '/client/v1/wx/shareToWeRun';
    var body = { appid: config.appid, envVersion: config.envVersion, recordList: opts.recordList, confirm: false };
    if (opts.idempotencyKey != null) body.idempotencyKey = opts.idempotencyKey;
    return request('shareToWeRun', 'POST', path, body).then(function (probe) {
      if (probe.errMsg !== 'shareToWeRun:fail cancel') return probe;
      return ask.shareToWeRun({ recordList: opts.recordList }).then(function (confirm) {
        if (!confirm) return probe;
        body.confirm = true;
        return request('shareToWeRun', 'POST', path, body);
      });
    });
  });

  wx.getShareInfo = define('getShareInfo', function (opts) {
    var body = { appid: config.appid, shareTicket: opts.shareTicket };
    return budget(opts.timeout)('getShareInfo', request('getShareInfo', 'POST', '/client/v1/wx/getShareInfo', body));
  });

  /**
   * Sharing a mini-program card into a chat (wx.miniapp.shareMiniProgramMessage, docs/DESIGN.md §3.2). WeChat lets the
   * user pick the chat: without a conversation_id (yundong's extension) the "send to" picker is shown; cancelling it
   * answers "shareMiniProgramMessage:fail cancel". imagePath is a wxfile:// path from wx.yundong.uploadFile, or a
   * code-package path such as '/pages/thumb.png' (the card then shows a placeholder thumbnail: yundong holds no code
   * package); a scheme-less webpageUrl ('www.qq.com') is stored with an https scheme in front (docs/API.md §2).
   */
  var shareMiniProgramMessage = define('shareMiniProgramMessage', function (opts) {
    var fields = ['userName', 'path', 'title', 'description', 'imagePath', 'webpageUrl', 'withShareTicket', 'miniprogramType', 'scene'];
    var body = { appid: config.appid };
    fields.forEach(function (f) {
      if (opts[f] !== undefined) body[f] = opts[f];
    });
    var chosen = opts.conversation_id != null
      ? Promise.resolve(opts.conversation_id)
      : request('conversations', 'GET', '/client/v1/conversations').then(function (res) {
        if (!isOk(res)) return { fail: failAs('shareMiniProgramMessage', res) };
        return ask.chooseChat({ conversations: res.conversations || [] });
      });
    return chosen.then(function (id) {
      if (id && typeof id === 'object' && id.fail) return id.fail;
      if (id == null) return { errMsg: 'shareMiniProgramMessage:fail cancel' };
      body.conversation_id = id;
      return request('shareMiniProgramMessage', 'POST', '/client/v1/wx/shareMiniProgramMessage', body);
    });
  });
  wx.miniapp = { shareMiniProgramMessage: shareMiniProgramMessage };
  wx.shareMiniProgramMessage = shareMiniProgramMessage;

  /** The options the mini program was opened with: {path, query, scene, shareTicket?} (set by the host page). */
  wx.getLaunchOptionsSync = function () {
    var l = config.launch || {};
    var path = String(l.path || '');
    var qi = path.indexOf('?');
    var query = {};
    if (qi >= 0) {
      new URLSearchParams(path.slice(qi + 1)).forEach(function (v, k) { query[k] = v; });
    }
    var out = { path: (qi >= 0 ? path.slice(0, qi) : path).replace(/^\//, ''), query: query, scene: l.scene || 1001, referrerInfo: {} };
    if (l.shareTicket) out.shareTicket = l.shareTicket;
    return out;
  };
  wx.getEnterOptionsSync = wx.getLaunchOptionsSync;

  wx.showModal = define('showModal', function (opts) {
    return ask.showModal(opts).then(function (confirm) {
      return { errMsg: 'showModal:ok', confirm: !!confirm, cancel: !confirm };
    });
  });

  wx.showToast = define('showToast', function (opts) {
    showToastNow(opts);
    return { errMsg: 'showToast:ok' };
  });

  wx.getAccountInfoSync = function () {
    return { miniProgram: { appId: config.appid, envVersion: config.envVersion, version: '' } };
  };

  wx.canIUse = function (name) {
    var api = String(name || '').split('.')[0];
    return typeof wx[api] === 'function';
  };

  wx.yundong = {
    version: '1',
    /** Set the mini program these calls act for ({appid, appName, envVersion}), the token, or custom dialogs. */
    configure: function (opts) {
      Object.keys(opts || {}).forEach(function (k) {
        if (k === 'dialogs') config.dialogs = Object.assign({}, config.dialogs, opts.dialogs);
        else if (Object.prototype.hasOwnProperty.call(config, k)) config[k] = opts[k];
      });
      return wx.yundong.config();
    },
    config: function () {
      return { appid: config.appid, appName: config.appName, envVersion: config.envVersion, base: config.base };
    },
    /** Upload an image (a Blob of PNG or JPEG, ≤ 128 KB) as a temp file: resolves {errMsg, tempFilePath}. */
    uploadFile: function (blob) {
      var headers = { 'Content-Type': blob.type || 'image/png' };
      var t = token();
      if (t) headers.Authorization = 'Bearer ' + t;
      return global.fetch(config.base + '/client/v1/files', { method: 'POST', headers: headers, body: blob, cache: 'no-store', credentials: 'omit' })
        .then(function (res) { return res.json(); })
        .then(function (res) { return isOk(res) ? res : Promise.reject(res); },
          function (err) { return Promise.reject({ errMsg: 'uploadFile:fail ' + (err && err.message ? err.message : err) }); });
    },
    sports: SPORTS,
    units: UNITS,
    scopes: SCOPES,
    recordText: recordText,
  };

  global.wx = wx;
})(typeof window !== 'undefined' ? window : globalThis);
