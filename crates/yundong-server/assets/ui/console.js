/*
 * The console (/ui/console): the request journal (live, over the admin API's server-sent events), fault rules, the
 * deployment's clock and reset. Signed in with the admin token, kept in this tab's sessionStorage only. Text from the
 * API is always set with textContent, never parsed as HTML.
 */
(function () {
  'use strict';

  var KEY = 'yundong.admin';
  var MAX_ROWS = 500;
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem(KEY) || '';
  var stream = null;

  function call(method, path, body) {
    var init = { method: method, headers: { Authorization: 'Bearer ' + token } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = {};
        try { data = JSON.parse(text); } catch (_) { data = {}; }
        return { status: res.status, body: data };
      });
    }, function () { return { status: 0, body: {} }; });
  }

  function problem(r) {
    if (r.status === 0) return '网络错误';
    if (r.body && r.body.error) return r.body.error.message;
    return 'HTTP ' + r.status;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Sign-in.
  function showSignin(message) {
    $('main').hidden = true;
    $('signin').hidden = false;
    $('signin-error').hidden = !message;
    $('signin-error').textContent = message || '';
  }

  function start() {
    call('GET', '/admin/v1/clock').then(function (r) {
      if (r.status === 401 || r.status === 429) {
        sessionStorage.removeItem(KEY);
        token = '';
        showSignin(r.status === 401 ? '管理令牌无效' : '尝试次数过多，请稍后再试');
        return;
      }
      $('signin').hidden = true;
      $('main').hidden = false;
      showClock(r.body);
      loadFaults();
      follow();
      document.body.setAttribute('data-loaded', '');
    });
  }

  $('signin-form').addEventListener('submit', function (e) {
    e.preventDefault();
    token = $('admin-token').value.trim();
    sessionStorage.setItem(KEY, token);
    start();
  });
  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem(KEY);
    if (stream) stream.abort();
    token = '';
    showSignin('');
  });

  // The journal: one stream of server-sent events, read with fetch (EventSource cannot send the bearer token).
  function filters() {
    var q = [];
    [['path', 'f-path'], ['appid', 'f-appid'], ['errcode', 'f-errcode']].forEach(function (p) {
      var v = $(p[1]).value.trim();
      if (v) q.push(p[0] + '=' + encodeURIComponent(v));
    });
    return q;
  }

  function follow() {
    if (stream) stream.abort();
    var controller = new AbortController();
    stream = controller;
    $('journal').textContent = '';
    $('journal-empty').hidden = false;
    var q = ['after=0'].concat(filters());
    fetch('/admin/v1/requests/stream?' + q.join('&'), {
      headers: { Authorization: 'Bearer ' + token, Accept: 'text/event-stream' },
      signal: controller.signal,
    }).then(function (res) {
      if (!res.ok) {
        $('live').textContent = '（' + (res.status === 400 ? '筛选条件无效' : 'HTTP ' + res.status) + '）';
        return;
      }
      $('live').textContent = '实时';
      $('live').classList.add('on');
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buf += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            var block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            var data = block.split('\n').filter(function (l) { return l.indexOf('data:') === 0; })
              .map(function (l) { return l.slice(5).replace(/^ /, ''); }).join('\n');
            if (data) addCall(JSON.parse(data));
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {}).then(function () {
      if (stream === controller) $('live').classList.remove('on');
    });
  }

  function addCall(c) {
    var li = el('li', 'call');
    li.setAttribute('data-id', String(c.id));
    var head = el('button', 'call-head');
    head.type = 'button';
    head.setAttribute('aria-expanded', 'false');
    head.appendChild(el('span', 'call-time mono', new Date(c.at * 1000).toLocaleTimeString('zh-CN', { hour12: false })));
    head.appendChild(el('span', 'call-path', c.method + ' ' + c.path));
    var bad = c.status !== 200 || (c.errcode !== null && c.errcode !== 0);
    var status = c.status === 0 ? '断开' : String(c.status) + (c.errcode !== null ? ' · ' + c.errcode : '');
    head.appendChild(el('span', 'call-status' + (bad ? ' bad' : ''), status));
    if (c.fault_id) head.appendChild(el('span', 'call-fault', '故障 ' + c.fault_id));
    li.appendChild(head);
    var detail = el('dl', 'call-detail');
    detail.hidden = true;
    [['AppID', c.appid], ['查询', c.query], ['请求', c.body], ['应答', c.response], ['errmsg', c.errmsg],
      ['rid', c.rid], ['耗时', c.latency_ms + ' ms'], ['说明', c.detail]].forEach(function (kv) {
      if (kv[1] === null || kv[1] === undefined || kv[1] === '') return;
      detail.appendChild(el('dt', '', kv[0]));
      var dd = el('dd');
      dd.appendChild(el('pre', '', String(kv[1])));
      detail.appendChild(dd);
    });
    li.appendChild(detail);
    head.addEventListener('click', function () {
      detail.hidden = !detail.hidden;
      head.setAttribute('aria-expanded', String(!detail.hidden));
    });
    var list = $('journal');
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_ROWS) list.removeChild(list.lastChild);
    $('journal-empty').hidden = true;
    if (c.fault_id) refreshFaults();
  }

  // A faulted call changes its rule's counters: reload the rules once the burst of events is over.
  var refreshing = null;
  function refreshFaults() {
    if (refreshing) clearTimeout(refreshing);
    refreshing = setTimeout(function () { refreshing = null; loadFaults(); }, 200);
  }

  $('filters').addEventListener('submit', function (e) {
    e.preventDefault();
    follow();
  });
  $('f-clear-journal').addEventListener('click', function () {
    call('DELETE', '/admin/v1/requests').then(function () { follow(); });
  });

  // Fault rules.
  var PRESETS = {
    busy: { errcode: -1, times: 1 },
    ratelimit: { errcode: 45009 },
    token: { errcode: 40001 },
    slow: { delay_ms: 3000 },
    drop: { drop: true },
  };

  function describe(f) {
    var what = f.drop ? '断开连接' : f.errcode === null ? '延迟后正常应答' : 'errcode ' + f.errcode;
    var parts = [f.fault_id, f.path + (f.appid ? ' [' + f.appid + ']' : ''), what];
    if (f.delay_ms) parts.push('延迟 ' + f.delay_ms + ' ms');
    if (f.probability < 1) parts.push('概率 ' + f.probability);
    parts.push('命中 ' + f.hits + (f.remaining === null ? '' : '，剩余 ' + f.remaining));
    return parts.join(' · ');
  }

  function loadFaults() {
    return call('GET', '/admin/v1/faults').then(function (r) {
      var list = $('faults');
      list.textContent = '';
      var faults = (r.body && r.body.faults) || [];
      faults.forEach(function (f) {
        var li = el('li', 'fault');
        li.setAttribute('data-fault-id', f.fault_id);
        li.appendChild(el('span', 'fault-text', describe(f)));
        var del = el('button', 'btn btn-inline btn-secondary fault-delete', '删除');
        del.type = 'button';
        del.addEventListener('click', function () {
          call('DELETE', '/admin/v1/faults/' + encodeURIComponent(f.fault_id)).then(loadFaults);
        });
        li.appendChild(del);
        list.appendChild(li);
      });
      $('faults-empty').hidden = faults.length > 0;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-preset]'), function (b) {
    b.addEventListener('click', function () {
      var rule = Object.assign({ path: $('fault-path').value.trim() }, PRESETS[b.getAttribute('data-preset')]);
      var appid = $('fault-appid').value.trim();
      if (appid) rule.appid = appid;
      call('POST', '/admin/v1/faults', rule).then(function (r) {
        $('fault-msg').textContent = r.status === 201 ? '已添加 ' + r.body.fault_id : '添加失败：' + problem(r);
        loadFaults();
      });
    });
  });

  // The clock and reset.
  function showClock(c) {
    if (!c || typeof c.now !== 'number') return;
    $('clock-now').textContent = new Date(c.now * 1000).toISOString();
    $('clock-now').setAttribute('data-now', String(c.now));
    $('clock-offset').textContent = String(c.offset_seconds);
  }

  function clockAnswer(what) {
    return function (r) {
      if (r.status === 200) {
        showClock(r.body);
        $('clock-msg').textContent = what + '成功';
      } else {
        $('clock-msg').textContent = what + '失败：' + problem(r);
      }
    };
  }

  $('advance-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var seconds = Number($('advance-seconds').value);
    call('POST', '/admin/v1/clock/advance', { seconds: seconds }).then(clockAnswer('时钟前进'));
  });
  $('set-form').addEventListener('submit', function (e) {
    e.preventDefault();
    call('POST', '/admin/v1/clock/set', { at: $('set-at').value.trim() }).then(clockAnswer('设定时间'));
  });

  function reset(body) {
    if (!window.confirm('重置会清空数据、故障规则和请求日志，并把时钟拨回。继续吗？')) return;
    call('POST', '/admin/v1/reset', body).then(function (r) {
      $('clock-msg').textContent = r.status === 200 ? '已重置' : '重置失败：' + problem(r);
      loadFaults();
      follow();
      call('GET', '/admin/v1/clock').then(function (c) { showClock(c.body); });
    });
  }
  $('reset').addEventListener('click', function () { reset({}); });
  $('reset-keep').addEventListener('click', function () { reset({ keep: 'apps' }); });

  if (token) start(); else showSignin('');
})();
