// New messages without a reload (server-sent events): the page listens on /events and, when
// something changes in the caller's conversations, reloads itself — unless the person is
// typing, in which case it says so in a polite live region with a « Reload » button. Without
// JavaScript, a plain reload shows the same.
(function () {
  if (!window.EventSource) return;
  var live = document.getElementById('live');
  var typing = function () {
    var fields = document.querySelectorAll('textarea, input[type=text]');
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value && fields[i].form && fields[i].form.method === 'post') return true;
    }
    return false;
  };
  var source = new EventSource('/events');
  source.addEventListener('thread', function () {
    if (!typing()) { window.location.reload(); return; }
    if (!live || !live.hidden) return;
    live.textContent = live.getAttribute('data-text') + ' ';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.textContent = live.getAttribute('data-reload');
    button.addEventListener('click', function () { window.location.reload(); });
    live.appendChild(button);
    live.hidden = false;
  });
  source.addEventListener('reload', function () { if (!typing()) window.location.reload(); });
})();
