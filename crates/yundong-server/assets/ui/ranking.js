/* 排行榜: the signed-in user's friends ranking for a day, with the cover ("X占领了封面"), likes and check-ins. */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;
  yd.tabbar('ranking');

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;
  var HEART = 'M12 20.5s-7.5-4.6-7.5-10.2C4.5 7.4 6.7 5.5 9.1 5.5c1.3 0 2.3.7 2.9 1.6.6-.9 1.6-1.6 2.9-1.6 2.4 0 4.6 1.9 4.6 4.8 0 5.6-7.5 10.2-7.5 10.2z';
  var FLAG = 'M5 21V4M5 4h11l-2 4 2 4H5';
  var WINDOW = 31;

  var today = null; // YYYY-MM-DD of the server's today, learnt from the first answer
  var date = /^\d{4}-\d{2}-\d{2}$/.test(yd.param('date') || '') ? yd.param('date') : null;
  var rows = {}; // user_id → the entry as last answered

  function shift(day, n) {
    var p = day.split('-').map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2] + n));
    return d.toISOString().slice(0, 10);
  }

  function heart() {
    return yd.svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, yd.svg('path', { d: HEART }));
  }

  function likeButton(e) {
    // One's own row shows the likes received (tap: who liked me); only friends' rows can be liked.
    var own = e.user_id === yd.me().user_id;
    var btn = h('button', {
      class: 'like' + (e.liked ? ' liked' : '') + (own ? ' like-own' : ''),
      type: 'button',
      'aria-pressed': own ? null : e.liked ? 'true' : 'false',
      'aria-label': own ? e.likes + ' 个赞，查看谁赞了我' : (e.liked ? '取消点赞 ' : '点赞 ') + e.nickname,
      dataset: { userId: String(e.user_id) },
      onclick: function (ev) {
        ev.stopPropagation();
        if (own) likers();
        else toggle(e.user_id);
      },
    }, heart(), h('span', { class: 'like-count', text: e.likes }));
    return btn;
  }

  /** 谁赞了我: a sheet listing who liked one's own row for the day shown. */
  function likers() {
    var day = current;
    var sheet = h('div', { class: 'sheet', id: 'likers', role: 'dialog', 'aria-label': '谁赞了我' });
    var body = h('div', { class: 'sheet-body' }, h('div', { class: 'loading', text: '加载中…' }));
    var close = function () { mask.remove(); };
    var mask = h('div', { class: 'sheet-mask', onclick: function (ev) { if (ev.target === mask) close(); } },
      sheet);
    sheet.appendChild(h('div', { class: 'sheet-head' },
      h('span', { text: (day === today ? '今天' : yd.day(day)) + '谁赞了我' }),
      h('button', { type: 'button', class: 'sheet-close', 'aria-label': '关闭', text: '×', onclick: close })));
    sheet.appendChild(body);
    document.body.appendChild(mask);
    yd.api('GET', '/client/v1/werun/likes?date=' + encodeURIComponent(day)).then(function (r) {
      if (!r.ok) return yd.errorState(body, '无法加载点赞', r, function () { close(); likers(); });
      yd.clear(body);
      if (!r.body.likers.length) body.appendChild(h('div', { class: 'records-empty', text: '还没有人给你点赞' }));
      r.body.likers.forEach(function (l) {
        body.appendChild(h('div', { class: 'liker', dataset: { userId: String(l.user_id) } },
          yd.avatar(l.nickname, l.user_id, 'sm'),
          h('span', { class: 'liker-name', text: l.nickname }),
          h('span', { class: 'liker-time', text: yd.time(l.liked_at).split(' ')[1] })));
      });
      sheet.setAttribute('data-loaded', 'ok');
    });
  }

  function row(e) {
    var line = null;
    if (e.checkin) {
      var rec = yd.record(e.checkin);
      line = h('div', { class: 'rank-checkin' },
        yd.svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, yd.svg('path', { d: FLAG })),
        h('span', { text: rec[0] + ' ' + rec[1] }));
    }
    return h('div', {
      class: 'rank-row',
      role: 'link',
      tabindex: '0',
      dataset: { userId: String(e.user_id), rank: String(e.rank) },
      onclick: function () { location.href = '/ui/detail?user_id=' + encodeURIComponent(e.user_id); },
      onkeydown: function (ev) { if (ev.key === 'Enter') location.href = '/ui/detail?user_id=' + encodeURIComponent(e.user_id); },
    },
      // A row without steps has no place to rank: '-', not a "rank 1" shared by everybody on an empty day.
      h('span', { class: 'rank-no' + (e.rank <= 3 && e.steps > 0 ? ' top' : ''), text: e.steps > 0 ? e.rank : '-' }),
      yd.avatar(e.nickname, e.user_id),
      h('div', { class: 'rank-main' },
        h('div', { class: 'rank-name', text: e.nickname }),
        line),
      h('span', { class: 'rank-steps' + (e.steps >= 10000 ? ' high' : ''), text: e.steps }),
      likeButton(e));
  }

  function renderCover(data) {
    var cap = yd.clear($('cover-caption'));
    cap.classList.toggle('cover-empty', !data.cover);
    if (data.cover) {
      cap.appendChild(h('span', { class: 'cover-text', text: data.cover.nickname + '占领了封面' }));
      cap.appendChild(yd.avatar(data.cover.nickname, data.cover.user_id));
      $('cover').setAttribute('aria-label', data.cover.nickname + '占领了封面');
    } else {
      cap.appendChild(h('span', { class: 'cover-text', text: '还没有人占领封面' }));
      $('cover').setAttribute('aria-label', '封面');
    }
  }

  function dayLabel(day) {
    return day === today ? '今天' : yd.day(day);
  }

  function arrows(day) {
    $('next').disabled = !today || day >= today;
    $('prev').disabled = !today || day <= shift(today, -(WINDOW - 1));
  }

  function render(data) {
    rows = {};
    data.ranking.forEach(function (e) { rows[e.user_id] = e; });
    renderCover(data);
    $('date').textContent = dayLabel(data.date);
    arrows(data.date);

    var me = yd.me();
    var mine = yd.clear($('mine'));
    var self = data.me || data.ranking.filter(function (e) { return e.user_id === me.user_id; })[0];
    mine.hidden = !self;
    if (self) {
      if (!rows[self.user_id]) rows[self.user_id] = self;
      mine.appendChild(row(self));
    }

    var total = data.total || data.ranking.length;
    var list = yd.clear($('list'));
    if (total <= 1) {
      list.appendChild(h('div', { class: 'empty' }, h('div', { class: 'empty-title', text: '还没有好友' }),
        '管理员可以用 ', h('span', { class: 'mono', text: 'yundong friend add A B' }), ' 添加好友，好友的步数会显示在这里。'));
    }
    var anySteps = data.ranking.some(function (e) { return e.steps > 0; });
    if (total > 1 && !anySteps) list.appendChild(h('div', { class: 'rank-note', text: '这一天大家都还没有步数，暂无名次。' }));
    data.ranking.forEach(function (e) { list.appendChild(row(e)); });
    more = data.next_cursor || null;
    moreDay = data.date;

    history.replaceState(null, '', data.date === today ? '/ui/ranking' : '/ui/ranking?date=' + data.date);
    document.body.setAttribute('data-loaded', data.date);

    var foot = [];
    if (data.join_ranking === false) foot.push('你已关闭“加入排行榜”，好友看不到你的步数。');
    foot.push('共 ' + total + ' 人 · 每日 0 点更新');
    $('foot').textContent = foot.join(' ');
    document.body.setAttribute('data-rows', String(data.ranking.length));
    fill();
  }

  // The answer is a page (50 rows); the next one is asked for as the end of the list comes near the screen.
  var more = null, moreDay = null, fetching = false;
  function nearEnd() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 600;
  }
  function fill() {
    if (more && !fetching && nearEnd()) loadMore();
  }
  function loadMore() {
    var cursor = more, day = moreDay, mine = seq;
    fetching = true;
    var q = '?date=' + encodeURIComponent(day) + '&cursor=' + encodeURIComponent(cursor);
    return yd.api('GET', '/client/v1/werun/ranking' + q).then(function (r) {
      fetching = false;
      if (mine !== seq || more !== cursor) return;
      if (!r.ok) {
        if (r.status !== 401) yd.toast(yd.failure(r, '加载更多'), 3000);
        return;
      }
      var list = $('list');
      r.body.ranking.forEach(function (e) {
        if (rows[e.user_id] && list.querySelector('.rank-row[data-user-id="' + Number(e.user_id) + '"]')) return;
        rows[e.user_id] = e;
        list.appendChild(row(e));
      });
      more = r.body.next_cursor || null;
      document.body.setAttribute('data-rows', String(list.querySelectorAll('.rank-row').length));
      fill();
    });
  }

  function refreshLikes(userId) {
    var e = rows[userId];
    Array.prototype.forEach.call(document.querySelectorAll('.like:not([disabled])[data-user-id="' + Number(userId) + '"]'), function (btn) {
      btn.classList.toggle('liked', e.liked);
      btn.setAttribute('aria-pressed', e.liked ? 'true' : 'false');
      btn.setAttribute('aria-label', (e.liked ? '取消点赞 ' : '点赞 ') + e.nickname);
      btn.querySelector('.like-count').textContent = e.likes;
    });
  }

  var busy = {};
  function toggle(userId) {
    var e = rows[userId];
    if (!e || busy[userId]) return;
    busy[userId] = true;
    var want = !e.liked;
    // Say what we want (not "toggle"): a double tap or a retry cannot flip it back by accident.
    yd.api('POST', '/client/v1/werun/like', { user_id: userId, date: current, liked: want }).then(function (r) {
      busy[userId] = false;
      if (!r.ok) {
        if (r.status !== 401) yd.toast(yd.failure(r, want ? '点赞' : '取消点赞'), 3000);
        return;
      }
      e.liked = r.body.liked;
      e.likes = r.body.likes;
      refreshLikes(userId);
    });
  }

  var current = null;
  var seq = 0; // answers to an older request (the user moved on to another day) are dropped

  /** The rows of the day being loaded are not known yet: no old rows under the new date, a loading line instead. */
  function loading(day) {
    more = null;
    if (day) $('date').textContent = dayLabel(day);
    yd.clear($('mine')).hidden = true;
    yd.clear($('list')).appendChild(h('div', { class: 'loading', text: '加载中…' }));
    $('foot').textContent = '';
    document.body.removeAttribute('data-loaded');
    document.body.setAttribute('aria-busy', 'true');
  }

  function failed(r) {
    document.body.removeAttribute('aria-busy');
    yd.clear($('mine')).hidden = true;
    $('foot').textContent = '';
    if (r.status === 401) return;
    if (/werun off$/.test(r.body.errMsg || '')) {
      yd.clear($('list')).appendChild(h('div', { class: 'empty' }, h('div', { class: 'empty-title', text: '你已关闭微信运动' }),
        h('a', { href: '/ui/settings', id: 'to-settings', text: '去设置中开启' })));
    } else {
      yd.errorState($('list'), '排行榜暂时无法显示', r, function () { loading(current); load(); });
    }
    document.body.setAttribute('data-loaded', 'error');
  }

  function load() {
    var q = current ? '?date=' + encodeURIComponent(current) : '';
    var mine = ++seq;
    if (today) arrows(current);
    return yd.api('GET', '/client/v1/werun/ranking' + q).then(function (r) {
      if (mine !== seq) return;
      if (!r.ok) return failed(r);
      document.body.removeAttribute('aria-busy');
      current = r.body.date;
      if (!today) {
        // The first answer is today's: its date is the server's today (in the deployment's day zone), which bounds
        // the arrows. A day asked for in the URL is loaded next, without showing today's rows first.
        today = current;
        if (date && date !== today && date < today && date > shift(today, -WINDOW)) {
          current = date;
          loading(current);
          load();
          return;
        }
      }
      render(r.body);
    });
  }

  function go(n) {
    if (!current || !today) return;
    current = shift(current, n);
    loading(current);
    load();
  }
  $('prev').addEventListener('click', function () { go(-1); });
  $('next').addEventListener('click', function () { go(1); });

  // The navbar stays on top while the list scrolls: clear over the cover, solid once the cover has scrolled away.
  var nav = document.querySelector('.navbar');
  function solid() { nav.classList.toggle('navbar-solid', window.scrollY > 120); }
  window.addEventListener('scroll', function () { solid(); fill(); }, { passive: true });
  solid();

  load();
})();
