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
