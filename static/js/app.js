/* Progressive enhancement only: every page works without this file.
 *
 * The session timer: a signed-in page carries data-session-idle (seconds of
 * inactivity before the server ends the session) and data-session-warning.
 * Shortly before the end a notice offers to stay signed in; at the end the
 * page reloads, so the server shows the sign-in page with "your session
 * expired" and nothing confidential stays on an unattended screen. Tabs share
 * their activity through localStorage, so a busy tab keeps the others alive.
 */
(function () {
  "use strict";

  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle") || "0", 10);
  if (!idle) {
    return;
  }
  var warning = parseInt(body.getAttribute("data-session-warning") || "60", 10);
  var notice = document.getElementById("session-notice");
  var form = document.getElementById("session-keep-alive");
  var storageKey = "nrm-session-touched";
  var warnTimer = null;
  var endTimer = null;

  function reloadPage() {
    window.location.assign(window.location.href.split("#")[0]);
  }

  function schedule(fromOtherTab) {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    if (notice) {
      notice.hidden = true;
    }
    if (!fromOtherTab) {
      try {
        window.localStorage.setItem(storageKey, String(Date.now()));
      } catch (error) {
        /* storage may be disabled; each tab then keeps its own clock */
      }
    }
    warnTimer = window.setTimeout(function () {
      if (notice) {
        notice.hidden = false;
      }
    }, Math.max(0, idle - warning) * 1000);
    endTimer = window.setTimeout(reloadPage, (idle + 1) * 1000);
  }

  window.addEventListener("storage", function (event) {
    if (event.key === storageKey) {
      schedule(true);
    }
  });

  if (form && window.fetch && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.fetch(form.action, {
        method: "POST",
        body: new window.FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        // 204 from the keep-alive; anything else (a redirect to the sign-in
        // page once the session is gone) means it is too late.
        if (response.status === 204) {
          schedule(false);
        } else {
          reloadPage();
        }
      }, reloadPage);
    });
  }

  schedule(false);
})();
