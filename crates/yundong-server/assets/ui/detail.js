/* 详情页: a user's last 31 days of steps (an inline SVG bar chart) and their check-ins. The client API decides who
   may be seen (self, or a friend who shows their steps to the viewer); a refusal shows nothing of that user. */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;
  var s = yd.svg;
  var uid = yd.param('user_id');
  var me = yd.me();
  var self = !uid || (me.user_id != null && String(me.user_id) === uid);
  yd.tabbar(self ? 'detail' : 'ranking');

  var HEART = 'M12 20.5s-7.5-4.6-7.5-10.2C4.5 7.4 6.7 5.5 9.1 5.5c1.3 0 2.3.7 2.9 1.6.6-.9 1.6-1.6 2.9-1.6 2.4 0 4.6 1.9 4.6 4.8 0 5.6-7.5 10.2-7.5 10.2z';
  var SPORT_PATH = 'M13.5 5.5a1.8 1.8 0 1 0 0-3.6 1.8 1.8 0 0 0 0 3.6zM7 21l3-6 3 2v5M8.5 10.5l3-3 4 3 3 1M11.5 7.5l-2 6';
  var W = 350;
  var H = 176;
  var PAD = { l: 4, r: 34, t: 14, b: 22 };

  function niceMax(max) {
    var steps = [2000, 5000, 10000, 15000, 20000, 30000, 40000, 50000, 60000, 80000, 100000];
    for (var i = 0; i < steps.length; i++) if (max <= steps[i]) return steps[i];
    return Math.ceil(max / 10000) * 10000;
  }

  function short(n) {
    if (n >= 10000) return (n / 10000).toFixed(n % 10000 ? 1 : 0) + '万';
    return String(n);
  }

  function mmdd(date) {
    var p = date.split('-');
    return Number(p[1]) + '/' + Number(p[2]);
  }

  function pick(day, i, last) {
    $('pick').textContent = '';
    $('pick').appendChild(document.createTextNode((i === last ? '今天' : yd.day(day.date)) + ' · '));
    $('pick').appendChild(h('b', { text: yd.num(day.step) }));
    $('pick').appendChild(document.createTextNode(' 步'));
    Array.prototype.forEach.call(document.querySelectorAll('#chart .bar'), function (b, j) {
      b.classList.toggle('sel', j === i && i !== last);
    });
  }

  function chart(days) {
    var n = days.length;
    var max = niceMax(Math.max.apply(null, days.map(function (d) { return d.step; }).concat([1])));
    var pw = W - PAD.l - PAD.r;
    var ph = H - PAD.t - PAD.b;
    var slot = pw / n;
    var bw = Math.max(2, slot * 0.62);
    var y = function (v) { return PAD.t + ph - (v / max) * ph; };
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': '最近31天步数柱状图' });

    [0, max / 2, max].forEach(function (v) {
      svg.appendChild(s('line', { class: 'grid', x1: PAD.l, x2: PAD.l + pw, y1: y(v), y2: y(v) }));
      svg.appendChild(s('text', { class: 'axis', x: W - PAD.r + 4, y: y(v) + 3.5, text: short(v) }));
    });

    days.forEach(function (d, i) {
      var bh = Math.max(d.step > 0 ? 2 : 1, (d.step / max) * ph);
      var bar = s('rect', {
        class: 'bar' + (i === n - 1 ? ' today' : ''),
        x: (PAD.l + i * slot + (slot - bw) / 2).toFixed(2),
        y: (PAD.t + ph - bh).toFixed(2),
        width: bw.toFixed(2),
        height: bh.toFixed(2),
        rx: Math.min(2, bw / 2).toFixed(2),
        tabindex: '0',
        'data-date': d.date,
        'data-step': d.step,
        onclick: function () { pick(d, i, n - 1); },
        onfocus: function () { pick(d, i, n - 1); },
      }, s('title', { text: yd.day(d.date) + ' ' + d.step + '步' }));
      svg.appendChild(bar);
    });

    var total = days.reduce(function (a, d) { return a + d.step; }, 0);
    var avg = Math.round(total / n);
    // The average is a dashed line across the bars; its label is a legend above the chart, never drawn over a bar.
    $('legend').hidden = !(avg > 0);
    $('legend-text').textContent = '日均 ' + yd.num(avg) + ' 步';
    if (avg > 0) {
      svg.appendChild(s('line', { class: 'avg', x1: PAD.l, x2: PAD.l + pw, y1: y(avg), y2: y(avg) }));
    }

    [0, 10, 20].forEach(function (i) {
      if (i >= n - 3) return;
      svg.appendChild(s('text', { class: 'axis', x: PAD.l + i * slot + slot / 2, y: H - 6, 'text-anchor': 'start', text: mmdd(days[i].date) }));
    });
    svg.appendChild(s('text', { class: 'axis', x: PAD.l + (n - 1) * slot + slot / 2, y: H - 6, 'text-anchor': 'middle', text: '今天' }));

    $('stat-total').textContent = yd.num(total);
    $('stat-avg').textContent = yd.num(avg);
    $('stat-max').textContent = yd.num(Math.max.apply(null, days.map(function (d) { return d.step; }).concat([0])));
    return svg;
  }

  function checkins(list) {
    var box = yd.clear($('checkins'));
    $('checkin-count').textContent = list.length ? list.length + ' 次' : '';
    if (!list.length) {
      box.appendChild(h('div', { class: 'records-empty', text: '最近31天没有运动打卡' }));
      return;
    }
    list.forEach(function (c) {
      var recs = (c.records || []).map(function (r) {
        var t = yd.record(r);
        return h('div', { class: 'checkin-rec' }, h('span', { text: t[0] }), h('b', { text: t[1] }));
      });
      box.appendChild(h('div', { class: 'checkin', dataset: { checkinId: String(c.id) } },
        h('span', { class: 'checkin-icon' }, s('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, s('path', { d: SPORT_PATH }))),
        h('div', { class: 'checkin-main' },
          h('div', { class: 'checkin-head' }, h('span', { class: 'checkin-app', text: '来自 ' + (c.app_name || c.appid) }), h('span', { text: yd.time(c.created_at) })),
          recs)));
    });
  }

  /** 谁赞了我 (my own page): who liked my row today. */
  function likers() {
    $('likers-card').hidden = false;
    var box = $('likers');
    box.appendChild(h('div', { class: 'loading', text: '加载中…' }));
    yd.api('GET', '/client/v1/werun/likes').then(function (r) {
      if (!r.ok) return yd.errorState(box, '无法加载点赞', r, function () { yd.clear(box); likers(); });
      yd.clear(box);
      if (!r.body.likers.length) box.appendChild(h('div', { class: 'records-empty', text: '今天还没有人给你点赞' }));
      r.body.likers.forEach(function (l) {
        box.appendChild(h('div', { class: 'liker', dataset: { userId: String(l.user_id) } },
          yd.avatar(l.nickname, l.user_id, 'sm'),
          h('span', { class: 'liker-name', text: l.nickname }),
          h('span', { class: 'liker-time', text: yd.time(l.liked_at).split(' ')[1] })));
      });
      box.setAttribute('data-loaded', 'ok');
    });
  }

  /** A friend's page: like their day (today), as the heart on the ranking does. The state comes from the ranking. */
  function likeButton(userId, nickname) {
    var box = $('profile-like');
    // The ranking comes a page at a time: look through the pages (200 rows each) until the friend's row shows up.
    function find(cursor) {
      var q = '?limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      return yd.api('GET', '/client/v1/werun/ranking' + q).then(function (r) {
        if (!r.ok) return null;
        var row = r.body.ranking.filter(function (e) { return e.user_id === userId; })[0];
        if (row || !r.body.next_cursor) return row ? { r: r, row: row } : null;
        return find(r.body.next_cursor);
      });
    }
    find(null).then(function (found) {
      if (!found) return;
      var r = found.r, row = found.row;
      var state = { liked: row.liked, likes: row.likes, busy: false };
      var count = h('span', { class: 'like-count' });
      var btn = h('button', { class: 'like', id: 'detail-like', type: 'button', onclick: function () {
        if (state.busy) return;
        state.busy = true;
        yd.api('POST', '/client/v1/werun/like', { user_id: userId, date: r.body.date, liked: !state.liked }).then(function (res) {
          state.busy = false;
          if (!res.ok) {
            if (res.status !== 401) yd.toast(yd.failure(res, state.liked ? '取消点赞' : '点赞'), 3000);
            return;
          }
          state.liked = res.body.liked;
          state.likes = res.body.likes;
          paint();
        });
      } }, yd.svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, yd.svg('path', { d: HEART })), count);
      function paint() {
        btn.classList.toggle('liked', state.liked);
        btn.setAttribute('aria-pressed', state.liked ? 'true' : 'false');
        btn.setAttribute('aria-label', (state.liked ? '取消点赞 ' : '点赞 ') + nickname);
        count.textContent = state.likes;
      }
      paint();
      yd.clear(box).appendChild(btn);
    });
  }

  function render(d) {
    var days = d.days || [];
    yd.clear($('avatar')).appendChild(yd.avatar(d.nickname, d.user_id, 'lg'));
    $('name').textContent = d.nickname;
    $('relation').textContent = self || d.user_id === me.user_id ? '我自己' : '好友';
    $('devices-link').hidden = !(self || d.user_id === me.user_id);
    document.title = d.nickname + ' · 详情';
    $('today-steps').textContent = yd.num(days.length ? days[days.length - 1].step : 0);
    if (days.length) $('range').textContent = yd.day(days[0].date) + ' – ' + yd.day(days[days.length - 1].date);
    yd.clear($('chart')).appendChild(chart(days));
    if (days.length) pick(days[days.length - 1], days.length - 1, days.length - 1);
    checkins(d.checkins || []);
    $('content').hidden = false;
    if (self || d.user_id === me.user_id) likers();
    else likeButton(d.user_id, d.nickname);
  }

  var q = uid ? '?user_id=' + encodeURIComponent(uid) : '';
  function load() {
    $('loading').hidden = false;
    yd.api('GET', '/client/v1/werun/detail' + q).then(function (r) {
      $('loading').hidden = true;
      if (!r.ok) {
        if (r.status === 401) return;
        if (r.status === 0 || r.status >= 500) {
          // Not a refusal: say what went wrong and offer to try again.
          yd.errorState($('failed'), '详情暂时无法显示', r, function () { yd.clear($('failed')); load(); });
          document.body.setAttribute('data-loaded', 'error');
          return;
        }
        $('denied').hidden = false;
        if (/werun off$/.test(r.body.errMsg || '')) $('denied-why').textContent = '你已关闭微信运动，可以在设置中开启。';
        $('denied-msg').textContent = r.body.errMsg || (r.body.error && r.body.error.message) || 'HTTP ' + r.status;
        document.body.setAttribute('data-loaded', 'denied');
        return;
      }
      render(r.body);
      document.body.setAttribute('data-loaded', 'ok');
    });
  }
  load();
})();
