/* Sign-in: a user signs in with their client token. It is checked against the client API before it is kept. */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var next = yd.param('next');

  /** Who the token belongs to: the settings call proves the token; the detail page (self) names the user. */
  function whoAmI(token) {
    return yd.api('GET', '/client/v1/werun/settings', undefined, { token: token }).then(function (r) {
      if (r.status === 401) return { error: '令牌无效或已被撤销' };
      if (!r.ok) return { error: r.body.errMsg || '登录失败（HTTP ' + r.status + '）' };
      return yd.api('GET', '/client/v1/werun/detail', undefined, { token: token }).then(function (d) {
        var me = d.ok ? { user_id: d.body.user_id, nickname: d.body.nickname } : {};
        me.werun = r.body.werun;
        me.join_ranking = r.body.join_ranking;
        return { me: me };
      });
    });
  }

  function showHome() {
    var me = yd.me();
    $('signin').hidden = true;
    $('home').hidden = false;
    yd.clear($('me-avatar')).appendChild(yd.avatar(me.nickname || '我', me.user_id, 'lg'));
    $('me-name').textContent = me.nickname || '已登录';
    $('me-sub').textContent = me.user_id != null ? '用户 ID ' + me.user_id : '';
    document.title = '微信运动';
  }

  function showForm() {
    $('home').hidden = true;
    $('signin').hidden = false;
    $('token').focus();
  }

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    var token = $('token').value.trim();
    var err = $('error');
    err.hidden = true;
    if (!token) {
      err.textContent = '请输入用户令牌';
      err.hidden = false;
      return;
    }
    $('submit').disabled = true;
    $('submit').textContent = '正在登录…';
    whoAmI(token).then(function (who) {
      $('submit').disabled = false;
      $('submit').textContent = '登录';
      if (who.error) {
        err.textContent = who.error;
        err.hidden = false;
        return;
      }
      yd.signIn(token, who.me);
      $('token').value = '';
      if (next) location.replace(yd.safeNext(next));
      else location.replace('/ui/ranking');
    });
  });

  yd.chrome();
  $('expired').hidden = yd.param('expired') !== '1';
  if (yd.token()) {
    if (next) location.replace(yd.safeNext(next));
    else showHome();
  } else {
    showForm();
  }
})();
