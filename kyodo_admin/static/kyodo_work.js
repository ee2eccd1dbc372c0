// Slow work done by a worker: polls its status and goes on once it is done.
(function () {
  var box = document.getElementById("work");
  function active(status) { return status === "queued" || status === "running"; }
  if (!box) return;
  if (box.dataset.status === "done" && box.dataset.downloadUrl) {  // made before the page
    window.location.assign(box.dataset.downloadUrl);
    return;
  }
  if (!active(box.dataset.status)) return;
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (active(state.status)) { setTimeout(poll, 700); return; }
        if (state.status === "done" && box.dataset.downloadUrl) {  // a file: shown and fetched
          document.getElementById("work-waiting").hidden = true;
          document.getElementById("work-done").hidden = false;
          window.location.assign(box.dataset.downloadUrl);
          return;
        }
        if (state.status === "done") { window.location.assign(box.dataset.doneUrl); return; }
        document.getElementById("work-waiting").hidden = true;
        document.getElementById("work-error").textContent = state.error || "";
        document.getElementById("work-failed").hidden = false;
        document.getElementById("work-error").focus();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 300);
})();
