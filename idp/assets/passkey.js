// A passkey ceremony (WebAuthn Level 3): the page holds the server's options as JSON in
// #passkey's data-options and says which ceremony in data-ceremony (`get`: sign in with a
// passkey; `create`: add one). The button asks the browser, which asks the authenticator (a PIN,
// a fingerprint); its answer goes back to the server in the form's hidden field, base64url
// wherever the browser gives bytes. Without WebAuthn the button stays hidden and a sentence says
// why; a cancelled or failed ceremony says so in a live region, and the button stays to retry.
(function () {
  "use strict";
  var box = document.getElementById("passkey");
  if (!box) { return; }
  var button = document.getElementById("passkey-button");
  var form = document.getElementById("passkey-form");
  var field = document.getElementById("passkey-credential");
  var status = document.getElementById("passkey-status");
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  document.getElementById("passkey-unsupported").hidden = true;
  button.hidden = false;

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBytes(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
  }

  function answer(credential) {
    var r = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      extensions: {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      json.response.attestationObject = toText(r.attestationObject);
      json.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(r.authenticatorData);
      json.response.signature = toText(r.signature);
      json.response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return json;
  }

  button.addEventListener("click", function () {
    var options = JSON.parse(box.getAttribute("data-options")).publicKey;
    options.challenge = toBytes(options.challenge);
    var asked;
    if (box.getAttribute("data-ceremony") === "create") {
      options.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
      options.excludeCredentials = withBytes(options.excludeCredentials);
      asked = navigator.credentials.create({ publicKey: options });
    } else {
      options.allowCredentials = withBytes(options.allowCredentials);
      asked = navigator.credentials.get({ publicKey: options });
    }
    status.textContent = "";
    asked.then(function (credential) {
      field.value = JSON.stringify(answer(credential));
      form.submit();
    }, function () {
      status.textContent = box.getAttribute("data-failed");
    });
  });
})();
