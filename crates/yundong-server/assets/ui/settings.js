/* 设置: WeRun's own switches (加入排行榜, WeRun on or off) and, per friend, hiding one's steps from them. Every
   switch is saved at once through the client API and shows the answer; a failure puts the switch back and says why. */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;
  yd.tabbar('detail');

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;

  /** Save one switch: disabled while the call runs, put back (and a toast) if it fails. */
  function wire(input, save) {
    input.addEventListener('change', function () {
      var want = input.checked;
      input.disabled = true;
      save(want).then(function (r) {
        input.disabled = false;
        if (!r.ok) {
          input.checked = !want;
          if (r.status !== 401) yd.toast(yd.failure(r, '设置'), 3000);
          return;
        }
        yd.toast('已保存');
        document.body.setAttribute('data-saved', String(Date.now()));
      });
    });
  }

  function friendRow(f) {
    var input = h('input', { class: 'switch', type: 'checkbox', role: 'switch', 'aria-label': '不让 ' + f.nickname + ' 看我的步数', dataset: { userId: String(f.user_id) } });
    input.checked = f.hidden;
    wire(input, function (hidden) {
      return yd.api('POST', '/client/v1/werun/hide', { user_id: f.user_id, hidden: hidden });
    });
    return h('label', { class: 'cell switch-cell friend-row', dataset: { userId: String(f.user_id) } },
      yd.avatar(f.nickname, f.user_id, 'sm'),
      h('span', { class: 'switch-text', text: f.nickname }),
      input);
  }

  function render(settings, friends) {
    $('join-ranking').checked = settings.join_ranking;
    $('werun').checked = settings.werun;
    var box = yd.clear($('friends'));
    if (!friends.length) {
      box.appendChild(h('div', { class: 'cell' }, h('span', { class: 'switch-sub' }, '还没有好友。管理员可以用 ',
        h('span', { class: 'mono', text: 'yundong friend add A B' }), ' 添加。')));
    }
    friends.forEach(function (f) { box.appendChild(friendRow(f)); });
    $('content').hidden = false;
  }

  wire($('join-ranking'), function (on) { return yd.api('POST', '/client/v1/werun/settings', { join_ranking: on }); });
  wire($('werun'), function (on) { return yd.api('POST', '/client/v1/werun/settings', { werun: on }); });

  function load() {
    $('loading').hidden = false;
    Promise.all([yd.api('GET', '/client/v1/werun/settings'), yd.api('GET', '/client/v1/werun/friends')]).then(function (rs) {
      $('loading').hidden = true;
      var bad = rs.filter(function (r) { return !r.ok; })[0];
      if (bad) {
        if (bad.status === 401) return;
        yd.errorState($('failed'), '设置暂时无法显示', bad, function () { yd.clear($('failed')); load(); });
        document.body.setAttribute('data-loaded', 'error');
        return;
      }
      render(rs[0].body, rs[1].body.friends || []);
      document.body.setAttribute('data-loaded', 'ok');
    });
  }
  load();
})();
