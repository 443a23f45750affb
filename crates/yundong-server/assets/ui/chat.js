/* 聊天: the user's chats and the mini-program cards shared into them. Opening a card launches its mini program in the
   simulator with the launch options the client API gives (path, scene and, from a group, a shareTicket). */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;
  yd.tabbar('chat');

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;
  var me = yd.me();
  var cid = yd.param('c');
  var MP_ICON = 'M9 3.5a3.5 3.5 0 1 0 0 7h1.5v3a2 2 0 1 1-2-2M15 20.5a3.5 3.5 0 1 0 0-7h-1.5v-3a2 2 0 1 1 2 2';

  function convName(c) {
    if (c.name) return c.name;
    var others = (c.members || []).filter(function (m) { return m.user_id !== me.user_id; });
    return others.map(function (m) { return m.nickname; }).join('、') || '聊天';
  }

  function when(secs) {
    if (!secs) return '';
    var d = new Date(secs * 1000);
    var now = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    if (d.toDateString() === now.toDateString()) return pad(d.getHours()) + ':' + pad(d.getMinutes());
    return d.getMonth() + 1 + '月' + d.getDate() + '日';
  }

  function fail(r, retry) {
    $('loading').hidden = true;
    if (r.status === 401) return;
    if (r.status === 0 || r.status >= 500) {
      yd.errorState($('failed'), '聊天暂时无法显示', r, function () { yd.clear($('failed')); $('loading').hidden = false; retry(); });
    } else {
      $('error').hidden = false;
      $('error-msg').textContent = r.body.errMsg || 'HTTP ' + r.status;
    }
    document.body.setAttribute('data-loaded', 'error');
  }

  function groupAvatar(c) {
    if (c.kind !== 'group') {
      var other = (c.members || []).filter(function (m) { return m.user_id !== me.user_id; })[0] || {};
      return yd.avatar(other.nickname, other.user_id);
    }
    return h('span', { class: 'avatar av0', 'aria-hidden': 'true', text: '群' });
  }

  function list() {
    yd.api('GET', '/client/v1/conversations').then(function (r) {
      if (!r.ok) return fail(r, list);
      $('loading').hidden = true;
      var box = yd.clear($('list'));
      box.hidden = false;
      var convs = r.body.conversations || [];
      if (!convs.length) {
        box.appendChild(h('div', { class: 'empty', id: 'no-chats' }, h('div', { class: 'empty-title', text: '还没有聊天' }),
          '管理员可以用 ', h('span', { class: 'mono', text: 'yundong group create --name 跑团 --members 1,2,3' }),
          ' 创建群聊，或用 ', h('span', { class: 'mono', text: 'yundong conversation create A B' }), ' 为两个好友创建私聊。'));
      }
      convs.forEach(function (c) {
        var sub = c.message_count ? c.message_count + ' 张小程序卡片' : '暂无消息';
        box.appendChild(h('a', { class: 'cell', href: '/ui/chat?c=' + encodeURIComponent(c.conversation_id), dataset: { conversationId: String(c.conversation_id) } },
          groupAvatar(c),
          h('div', { class: 'chat-main' },
            h('div', { class: 'chat-name', text: convName(c) + (c.kind === 'group' ? '（' + c.members.length + '）' : '') }),
            h('div', { class: 'chat-sub', text: sub })),
          h('span', { class: 'chat-time', text: when(c.last_message_at) })));
      });
      document.body.setAttribute('data-loaded', 'list');
    });
  }

  /** Card images are the client API's, behind the bearer token: fetched, then shown from a blob: URL. */
  function thumb(img, url) {
    fetch(url, { headers: { Authorization: 'Bearer ' + yd.token() }, cache: 'force-cache', credentials: 'omit' })
      .then(function (res) { return res.ok ? res.blob() : Promise.reject(new Error('HTTP ' + res.status)); })
      .then(function (blob) {
        img.src = URL.createObjectURL(blob);
        img.classList.add('loaded');
      }, function () {
        img.classList.add('broken');
      });
  }

  function openCard(m) {
    yd.api('POST', '/client/v1/share/open', { message_id: m.message_id }).then(function (r) {
      if (!r.ok) {
        yd.toast(r.body.errMsg || '打开失败');
        return;
      }
      var launch = {
        appid: r.body.appid,
        appName: m.app_name,
        path: r.body.path,
        scene: r.body.scene,
        shareTicket: r.body.shareTicket || null,
        from: cid,
      };
      sessionStorage.setItem('yundong.sim.launch', JSON.stringify(launch));
      location.href = '/ui/simulator?launch=1&appid=' + encodeURIComponent(r.body.appid) + '&name=' + encodeURIComponent(m.app_name || '');
    });
  }

  function card(m, group) {
    var mine = m.sender.user_id === me.user_id;
    var img = h('img', { class: 'mp-card-thumb', alt: '', width: '250', height: '200' });
    thumb(img, m.image_url);
    var el = h('div', {
      class: 'mp-card',
      role: 'button',
      tabindex: '0',
      'aria-label': '小程序卡片：' + (m.title || m.app_name),
      dataset: { messageId: String(m.message_id) },
      onclick: function () { openCard(m); },
      onkeydown: function (e) { if (e.key === 'Enter') openCard(m); },
    },
      h('div', { class: 'mp-card-from' }, h('span', { class: 'mp-card-icon', text: Array.from(m.app_name || '小')[0] }), h('span', { text: m.app_name })),
      h('div', { class: 'mp-card-title', text: m.title || m.app_name }),
      m.description ? h('div', { class: 'mp-card-desc', text: m.description }) : null,
      img,
      h('div', { class: 'mp-card-foot' },
        yd.svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, yd.svg('path', { d: MP_ICON })),
        '小程序'));
    return h('div', { class: 'bubble-row' + (mine ? ' mine' : '') },
      yd.avatar(m.sender.nickname, m.sender.user_id),
      h('div', { class: 'bubble-body' }, group && !mine ? h('div', { class: 'bubble-sender', text: m.sender.nickname }) : null, el));
  }

  function thread() {
    $('back').setAttribute('href', '/ui/chat');
    yd.api('GET', '/client/v1/conversations/' + encodeURIComponent(cid) + '/messages').then(function (r) {
      if (!r.ok) return fail(r, thread);
      $('loading').hidden = true;
      var c = r.body.conversation;
      var group = c.kind === 'group';
      $('title').textContent = convName(c) + (group ? '（' + c.members.length + '）' : '');
      document.title = convName(c) + ' · 聊天';
      var box = yd.clear($('thread'));
      box.hidden = false;
      var msgs = r.body.messages || [];
      if (!msgs.length) {
        box.appendChild(h('div', { class: 'empty', id: 'no-messages' }, '还没有消息。在',
          h('a', { href: '/ui/simulator', text: '小程序模拟器' }), '的“分享小程序卡片”一步，可以把卡片分享到这里。'));
      }
      var lastTime = 0;
      msgs.forEach(function (m) {
        if (m.created_at - lastTime > 300) box.appendChild(h('div', { class: 'bubble-time', text: yd.time(m.created_at) }));
        lastTime = m.created_at;
        box.appendChild(card(m, group));
      });
      document.body.setAttribute('data-loaded', 'thread');
      window.scrollTo(0, document.body.scrollHeight);
    });
  }

  if (cid) thread();
  else list();
})();
