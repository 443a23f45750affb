/* 我的设备: the wristbands the user bound (GET /client/v1/devices). Binding lets that device app write the user's
   steps with /hardware/bracelet/setstep; unbinding withdraws it at once. */
(function () {
  'use strict';
  if (!yd.requireSignIn()) return;

  var $ = function (id) { return document.getElementById(id); };
  var h = yd.h;

  function say(text) {
    $('msg').textContent = text || '';
  }

  function row(d) {
    var bound = new Date(d.bound_at * 1000);
    var date = bound.getFullYear() + '-' + String(bound.getMonth() + 1).padStart(2, '0') + '-' + String(bound.getDate()).padStart(2, '0');
    var unbind = h('button', { class: 'btn btn-warn btn-inline', type: 'button', text: '解除绑定', dataset: { appid: d.appid } });
    unbind.addEventListener('click', function () {
      unbind.disabled = true;
      yd.api('POST', '/client/v1/devices/unbind', { appid: d.appid }).then(function (r) {
        if (r.ok) {
          say('已解除绑定：' + d.name);
          load();
        } else {
          unbind.disabled = false;
          say(r.body.errMsg || '解除绑定失败');
        }
      });
    });
    return h('div', { class: 'cell device', dataset: { appid: d.appid } },
      h('div', { class: 'device-info' },
        h('div', { class: 'device-name', text: d.name }),
        h('div', { class: 'profile-sub mono', text: d.appid + ' · ' + date + ' 绑定' })),
      unbind);
  }

  function load() {
    return yd.api('GET', '/client/v1/devices').then(function (r) {
      var list = $('devices');
      list.textContent = '';
      if (!r.ok) {
        list.appendChild(h('div', { class: 'empty', text: '加载失败：' + (r.body.errMsg || r.status) }));
      } else if (!r.body.devices.length) {
        list.appendChild(h('div', { class: 'empty' }, h('div', { class: 'empty-title', text: '还没有绑定设备' }),
          h('div', { text: '在下方输入手环厂商公众号的 AppID 绑定。' })));
      } else {
        r.body.devices.forEach(function (d) { list.appendChild(row(d)); });
      }
      document.body.setAttribute('data-loaded', 'devices');
    });
  }

  $('bind').addEventListener('submit', function (e) {
    e.preventDefault();
    var appid = $('appid').value.trim();
    $('bind-submit').disabled = true;
    yd.api('POST', '/client/v1/devices/bind', { appid: appid }).then(function (r) {
      $('bind-submit').disabled = false;
      if (r.ok) {
        $('appid').value = '';
        say('已绑定');
        load();
      } else {
        say(r.body.errMsg || '绑定失败');
      }
    });
  });

  yd.tabbar('detail');
  yd.chrome();
  load();
})();
