/*
 * yundong pages: shared helpers. The signed-in user's token lives in sessionStorage ("yundong.token") and goes to
 * the client API as a bearer token; every piece of user data on a page comes from that API, so a page shows only
 * what the API lets this user see. Text from the API is always set with textContent, never parsed as HTML.
 */
(function (global) {
  'use strict';

  var TOKEN_KEY = 'yundong.token';
  var ME_KEY = 'yundong.me';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var yd = {};

  yd.token = function () {
    return global.sessionStorage.getItem(TOKEN_KEY) || '';
  };

  /** The signed-in user as cached at sign-in: {user_id, nickname} (either may be missing). */
  yd.me = function () {
    try {
      return JSON.parse(global.sessionStorage.getItem(ME_KEY) || 'null') || {};
    } catch (_) {
      return {};
    }
  };

  yd.signIn = function (token, me) {
    global.sessionStorage.setItem(TOKEN_KEY, token);
    global.sessionStorage.setItem(ME_KEY, JSON.stringify(me || {}));
  };

  yd.signOut = function () {
    global.sessionStorage.removeItem(TOKEN_KEY);
    global.sessionStorage.removeItem(ME_KEY);
    global.location.replace('/ui/');
  };

  /** Only same-site page paths are followed after sign-in (no open redirect). */
  yd.safeNext = function (next) {
    return typeof next === 'string' && /^\/ui\/[A-Za-z0-9_\-?=&%.]*$/.test(next) && next.indexOf('//') < 0 ? next : '/ui/ranking';
  };

  yd.toSignIn = function (expired) {
    var here = global.location.pathname + global.location.search;
    global.location.replace('/ui/?next=' + encodeURIComponent(here) + (expired ? '&expired=1' : ''));
  };

  /** The token stopped working (revoked or replaced): say so, then go to sign-in, which says it again. */
  var expiring = false;
  yd.expired = function () {
    if (expiring) return;
    expiring = true;
    global.sessionStorage.removeItem(TOKEN_KEY);
    yd.toast('登录已失效，请重新登录', 1500);
    global.setTimeout(function () { yd.toSignIn(true); }, 1200);
  };

  /** What a failed call means to a person, in Chinese: a network failure, an expired sign-in, or the API's errMsg. */
  yd.failure = function (r, what) {
    if (r.status === 0) return (what ? what + '失败：' : '') + '网络错误，请检查网络连接后重试';
    if (r.status === 401) return '登录已失效，请重新登录';
    var msg = (r.body && (r.body.errMsg || (r.body.error && r.body.error.message))) || 'HTTP ' + r.status;
    return (what ? what + '失败：' : '') + msg;
  };

  /** An error state in `box` (its old content removed): a title, the reason, and a 重试 button that calls `retry`. */
  yd.errorState = function (box, title, r, retry) {
    yd.clear(box);
    box.appendChild(yd.h('div', { class: 'empty error-state', role: 'alert' },
      yd.h('div', { class: 'empty-title', text: title }),
      yd.h('div', { class: 'error-reason', text: yd.failure(r) }),
      retry ? yd.h('button', { class: 'btn btn-secondary btn-retry', type: 'button', text: '重试', onclick: retry }) : null));
    return box;
  };

  /** Pages that show user data call this first: without a token they go to the sign-in page. */
  yd.requireSignIn = function () {
    if (yd.token()) return true;
    yd.toSignIn();
    return false;
  };

  yd.param = function (name) {
    return new URLSearchParams(global.location.search).get(name);
  };

  /**
   * A client-API call with the user's token. Resolves {ok, status, body}; ok means HTTP 200 and an "…:ok" errMsg.
   * A 401 (token gone or revoked) signs the user out and goes to the sign-in page.
   */
  yd.api = function (method, path, body, opts) {
    var headers = { Accept: 'application/json', Authorization: 'Bearer ' + ((opts && opts.token) || yd.token()) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return global
      .fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      })
      .then(
        function (res) {
          return res.text().then(function (text) {
            var data = {};
            try {
              data = JSON.parse(text) || {};
            } catch (_) {
              data = {};
            }
            if (res.status === 401 && !(opts && opts.token)) yd.expired();
            var ok = res.status === 200 && typeof data.errMsg === 'string' && /:ok$/.test(data.errMsg);
            return { ok: ok, status: res.status, body: data };
          });
        },
        function () {
          // The browser's own reason ("Failed to fetch") is English and says nothing more: the page says it in Chinese.
          return { ok: false, status: 0, network: true, body: { errMsg: '网络错误，请检查网络连接后重试' } };
        }
      );
  };

  function build(node, attrs, children) {
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === 'class') node.setAttribute('class', v);
      else if (k === 'text') node.textContent = String(v);
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
    (function add(list) {
      list.forEach(function (c) {
        if (c == null || c === false) return;
        if (Array.isArray(c)) add(c);
        else node.appendChild(typeof c === 'object' ? c : global.document.createTextNode(String(c)));
      });
    })(children || []);
    return node;
  }

  /** h('div', {class: 'row', onclick: fn}, child, 'text', …): a DOM element; strings become text nodes. */
  yd.h = function (tag, attrs) {
    return build(global.document.createElement(tag), attrs, Array.prototype.slice.call(arguments, 2));
  };

  yd.svg = function (tag, attrs) {
    return build(global.document.createElementNS(SVG_NS, tag), attrs, Array.prototype.slice.call(arguments, 2));
  };

  yd.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  /** A round avatar with the nickname's first character, coloured by user id (there are no uploaded avatars). */
  yd.avatar = function (nickname, userId, size) {
    // Chinese names show their last character (the given name: 小红 → 红), others their first letter.
    var chars = Array.from(String(nickname || '?').trim());
    var cjk = chars.filter(function (c) { return /[\u3400-\u9fff]/.test(c); });
    var first = (cjk.length ? cjk[cjk.length - 1] : (chars[0] || '?').toUpperCase()) || '?';
    return yd.h('span', { class: 'avatar av' + (Math.abs(Number(userId) || 0) % 8) + (size ? ' avatar-' + size : ''), 'aria-hidden': 'true' }, first);
  };

  yd.num = function (n) {
    return Number(n || 0).toLocaleString('zh-CN');
  };

  var UNITS = { time: '分钟', distance: '米', calorie: '千卡', number: '个' };

  /** A record as the ranking and detail page show it: ["跑步", "5.20公里"]. Accepts API views and wx records. */
  yd.record = function (r) {
    var unit = r.unit || ['time', 'distance', 'calorie', 'number'].filter(function (u) { return r[u] != null; })[0];
    var value = r.value != null ? r.value : r[unit];
    var text = value + UNITS[unit];
    if (unit === 'distance' && value >= 1000) text = (value / 1000).toFixed(2) + '公里';
    if (unit === 'calorie') text = '消耗' + value + '千卡';
    var name = r.name || (global.wx && global.wx.yundong && (global.wx.yundong.sports[r.typeId] || [])[0]) || '运动';
    return [name, text];
  };

  /** "YYYY-MM-DD" → "11月21日". */
  yd.day = function (date) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
    return m ? Number(m[2]) + '月' + Number(m[3]) + '日' : String(date || '');
  };

  /** Unix seconds → "11月21日 08:30" in the browser's zone. */
  yd.time = function (secs) {
    var d = new Date(secs * 1000);
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return d.getMonth() + 1 + '月' + d.getDate() + '日 ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  };

  var toastTimer = 0;
  yd.toast = function (text, ms) {
    var t = global.document.querySelector('.toast') || global.document.body.appendChild(yd.h('div', { class: 'toast', role: 'status' }));
    t.textContent = text;
    t.classList.add('show');
    global.clearTimeout(toastTimer);
    toastTimer = global.setTimeout(function () { t.classList.remove('show'); }, ms || 2000);
  };

  var TABS = [
    ['ranking', '排行榜', '/ui/ranking', 'M4 20h16M7 20v-7M12 20V5M17 20v-10'],
    ['detail', '我', '/ui/detail', 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20.5c.6-3.8 3.7-6 7.5-6s6.9 2.2 7.5 6'],
    ['simulator', '小程序', '/ui/simulator', 'M7 2.5h10a1.5 1.5 0 0 1 1.5 1.5v16a1.5 1.5 0 0 1-1.5 1.5H7A1.5 1.5 0 0 1 5.5 20V4A1.5 1.5 0 0 1 7 2.5zM10.5 18.5h3'],
    ['chat', '聊天', '/ui/chat', 'M20.5 11.5c0 4.1-3.8 7.5-8.5 7.5-1.2 0-2.3-.2-3.3-.6L4 20l1.2-3.6c-1.1-1.3-1.7-3-1.7-4.9C3.5 7.4 7.3 4 12 4s8.5 3.4 8.5 7.5z'],
  ];

  /** The bottom tab bar, with `active` highlighted. */
  yd.tabbar = function (active) {
    var nav = yd.h('nav', { class: 'tabbar', 'aria-label': '导航' });
    TABS.forEach(function (t) {
      var a = yd.h('a', { class: 'tab' + (t[0] === active ? ' active' : ''), href: t[2], 'aria-current': t[0] === active ? 'page' : null },
        yd.svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, yd.svg('path', { d: t[3] })),
        yd.h('span', { text: t[1] }));
      nav.appendChild(a);
    });
    global.document.body.appendChild(nav);
  };

  /** Wires "退出登录" links. */
  yd.chrome = function () {
    Array.prototype.forEach.call(global.document.querySelectorAll('[data-signout]'), function (b) {
      b.addEventListener('click', function (e) {
        e.preventDefault();
        yd.signOut();
      });
    });
  };

  global.yd = yd;
})(window);
