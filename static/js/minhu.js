// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // The language switch submits on change (its button stays for keyboards and no-JS browsers).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Tell htmx requests which CSRF token to send (the cookie is HttpOnly-free by Django default).
  document.body.addEventListener("htmx:configRequest", function (event) {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { event.detail.headers["X-CSRFToken"] = input.value; }
  });
})();
// "Use my location" on the appeal form: fills the hidden lat/long fields from the phone's position.
(function () {
  "use strict";
  document.querySelectorAll("[data-locate]").forEach(function (button) {
    var form = button.form || button.closest("form") || document.querySelector("form[enctype]");
    var status = document.querySelector("[data-locate-status]");
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
        document.querySelector("input[name=long]").value = pos.coords.longitude.toFixed(6);
        if (status) { status.textContent = "✓ " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4); }
      }, function () {
        if (status) { status.textContent = "✗"; }
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  });
})();
