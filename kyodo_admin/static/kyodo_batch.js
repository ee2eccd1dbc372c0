// Progress of a background bulk issue: polls the status while it waits or runs.
(function () {
  var box = document.getElementById("batch");
  function active(status) { return status === "queued" || status === "running"; }
  if (!box || !active(box.dataset.status)) return;
  var bar = document.getElementById("batch-bar");
  function show(state) {
    document.getElementById("batch-done").textContent = state.done;
    bar.style.width = (state.total ? Math.round(100 * state.done / state.total) : 0) + "%";
    bar.setAttribute("aria-valuenow", state.done);
    document.getElementById("batch-queued").hidden = state.status !== "queued";
    document.getElementById("batch-running").hidden = state.status !== "running";
    document.getElementById("batch-done-box").hidden = state.status !== "done";
    document.getElementById("batch-failed").hidden = state.status !== "failed";
    document.getElementById("batch-error").textContent = state.error || "";
    if (state.status === "failed") bar.classList.add("bg-danger");
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        show(state);
        if (active(state.status)) setTimeout(poll, 1000);
        // One record's PDF: its download starts by itself once made.
        else if (state.status === "done" && box.dataset.downloadUrl) {
          window.location.assign(box.dataset.downloadUrl);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
