// The page of a background job (report file, import): fetch its state block every two seconds
// and put it in place (the block sits in an aria-live region, so screen readers hear each
// change) until the job is done or failed. Without this script, the page reloads itself (noscript).
(function () {
  "use strict";
  var region = document.getElementById("job-status");
  if (!region) {
    return;
  }
  var url = region.getAttribute("data-status-url");
  var delay = 2000;

  function finished() {
    var block = region.querySelector("[data-finished]");
    return block && block.getAttribute("data-finished") === "true";
  }

  function poll() {
    if (finished()) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (html.trim() !== region.innerHTML.trim()) {
          region.innerHTML = html;
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server did not answer: try again, less often.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
