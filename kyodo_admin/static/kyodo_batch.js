// Progress of a background bulk issue: polls the status until done or failed.
(function () {
  var box = document.getElementById("batch");
  if (!box || box.dataset.status !== "running") return;
  var bar = document.getElementById("batch-bar");
  function show(state) {
    document.getElementById("batch-done").textContent = state.done;
    bar.style.width = (state.total ? Math.round(100 * state.done / state.total) : 0) + "%";
    bar.setAttribute("aria-valuenow", state.done);
    document.getElementById("batch-running").hidden = state.status !== "running";
    document.getElementById("batch-done-box").hidden = state.status !== "done";
    var error = document.getElementById("batch-error");
    error.hidden = state.status !== "failed";
    error.textContent = state.error || "";
    if (state.status === "failed") bar.classList.add("bg-danger");
  }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        show(state);
        if (state.status === "running") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
