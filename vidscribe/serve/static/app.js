// vidscribe viewer: the transcript beside the player follows it, and every time link seeks it.
// No inline script anywhere (the Content-Security-Policy forbids it): everything comes from data-*.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript .line"));
  var current = null;

  function seek(seconds) {
    if (!player || !isFinite(seconds)) { return false; }
    player.currentTime = seconds;
    highlight(seconds);
    return true;
  }

  function lineAt(t) {
    // lines are in time order and do not overlap: the last one starting at or before t, if it lasts past t
    var lo = 0, hi = lines.length - 1, found = null;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (parseFloat(lines[mid].dataset.start) <= t + 0.001) { found = lines[mid]; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found && t < parseFloat(found.dataset.end) ? found : null;
  }

  function highlight(t) {
    var line = lineAt(t);
    if (line === current) { return; }
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = line;
    if (!line) { return; }
    line.classList.add("current");
    line.setAttribute("aria-current", "true");
    var pane = line.closest(".lines");
    if (pane && (line.offsetTop < pane.scrollTop || line.offsetTop + line.offsetHeight > pane.scrollTop + pane.clientHeight)) {
      pane.scrollTop = line.offsetTop - pane.clientHeight / 3;
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek], #transcript .line");
    if (!target || !player) { return; }
    var seconds = parseFloat(target.dataset.seek !== undefined ? target.dataset.seek : target.dataset.start);
    if (seek(seconds)) {
      event.preventDefault();
      if (target.closest(".findings, .screen-text")) { player.scrollIntoView({ block: "nearest" }); }
    }
  });

  // The account filter's suggestions come from /api/accounts when the field is first used.
  var accountList = document.getElementById("accounts");
  var accountInput = document.getElementById("account-filter");
  if (accountList && accountInput) {
    accountInput.addEventListener("focus", function () {
      if (accountList.dataset.loaded) { return; }
      accountList.dataset.loaded = "1";
      fetch(accountList.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (body) {
          (body.accounts || []).forEach(function (a) {
            var option = document.createElement("option");
            option.value = a.account;  // a property, never markup
            option.textContent = a.videos + " video" + (a.videos === 1 ? "" : "s");
            accountList.appendChild(option);
          });
        }).catch(function () { delete accountList.dataset.loaded; });
    });
  }

  if (!player) { return; }
  // Every track loads its cues (the default one is shown, the others hidden): the transcript and
  // any script reading video.textTracks see them all.
  player.addEventListener("loadedmetadata", function () {
    for (var i = 0; i < player.textTracks.length; i++) {
      if (player.textTracks[i].mode === "disabled") { player.textTracks[i].mode = "hidden"; }
    }
    var start = parseFloat(player.dataset.startAt);
    if (isFinite(start)) { seek(start); }
  });
  player.addEventListener("timeupdate", function () { highlight(player.currentTime); });
  player.addEventListener("seeked", function () { highlight(player.currentTime); });
})();
