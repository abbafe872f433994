// Drafts: a form with data-draft saves what is typed to that address after a pause of a
// second and a half (and when the page is left), with the form's own token; a polite status
// line says when it was saved. The server gives the draft back in the form on the next visit;
// sending the message removes it. Without this script nothing is saved before sending.
(function () {
  if (!window.fetch || !window.URLSearchParams) return;
  var forms = document.querySelectorAll('form[data-draft]');
  Array.prototype.forEach.call(forms, function (form) {
    var status = form.querySelector('.draft-status') || document.createElement('p');
    var timer = null;
    var fields = function () {
      var data = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === 'file' || el.type === 'checkbox' || el.type === 'submit') return;
        data.append(el.name, el.value);
      });
      return data;
    };
    var last = fields().toString();
    var say = function (text) { if (status) status.textContent = text; };
    var save = function () {
      timer = null;
      var data = fields();
      var text = data.toString();
      if (text === last) return;
      fetch(form.getAttribute('data-draft'), {
        method: 'POST', body: data, credentials: 'same-origin', keepalive: true
      }).then(function (response) {
        if (response.status === 204) {
          last = text;
          var at = new Date().toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
          say(status.getAttribute('data-saved').replace('{t}', at));
        } else {
          say(status.getAttribute('data-failed'));
        }
      }).catch(function () { say(status.getAttribute('data-failed')); });
    };
    form.addEventListener('input', function (event) {
      if (event.target && event.target.type === 'file') return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 1500);
    });
    form.addEventListener('submit', function () {
      if (timer) clearTimeout(timer);
      timer = null;
      last = fields().toString();
    });
    window.addEventListener('pagehide', function () {
      if (timer) { clearTimeout(timer); save(); }
    });
  });
})();
