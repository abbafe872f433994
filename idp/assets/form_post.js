// OAuth 2.0 Form Post Response Mode: submit the response to the relying party at once.
// A <noscript> button does the same without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) { form.submit(); }
});
