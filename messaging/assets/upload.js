// Upload progress: a form with files (data-upload) is sent through XMLHttpRequest so that a
// progress bar and a polite status say how far the upload is. The server answers exactly as
// for the plain form: a redirect to the thread once sent, or the form again with its errors.
// Without this script, the same form posts the same way, without the bar.
(function () {
  if (!window.FormData || !window.XMLHttpRequest) return;
  var forms = document.querySelectorAll('form[data-upload]');
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener('submit', function (event) {
      var input = form.querySelector('input[type=file]');
      var box = form.querySelector('.upload-progress');
      if (!input || !input.files || input.files.length === 0 || !box) return;
      event.preventDefault();
      var bar = box.querySelector('progress');
      var status = box.querySelector('[role=status]');
      var button = form.querySelector('button[type=submit]');
      var say = function (percent) {
        bar.value = percent;
        status.textContent = box.getAttribute('data-label').replace('{p}', String(percent));
      };
      box.hidden = false;
      if (button) button.disabled = true;
      say(0);
      var request = new XMLHttpRequest();
      request.open('POST', form.action);
      request.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable && e.total > 0) say(Math.floor((e.loaded * 100) / e.total));
      });
      request.addEventListener('load', function () {
        if (request.status < 400 && request.responseURL && request.responseURL !== form.action) {
          window.location.assign(request.responseURL);
          return;
        }
        // The form again, with its errors (or an error page): shown as the page.
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener('error', function () {
        if (button) button.disabled = false;
        status.textContent = box.getAttribute('data-failed');
      });
      request.send(new FormData(form));
    });
  });
})();
