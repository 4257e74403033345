// Intake form: add and remove document rows, and send the device's time with
// its UTC offset so the event keeps when it really happened.
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) return;
  var box = document.getElementById("documents");

  // The form's client id belongs to this history entry (history.state lives as
  // long as the entry): Back, with or without the back-forward cache, and reload
  // show the same form with the same id, so sending it again is a replay that
  // answers with the dossier it saved, never a second one. A fresh visit is a
  // new entry, so a new form.
  var clientId = form.querySelector("[name=client_id]");
  function kept() {
    var state = window.history.state;
    return state && state.intakeClientId ? String(state.intakeClientId) : "";
  }
  if (clientId) {
    if (kept()) {
      clientId.value = kept();
    } else {
      var state = window.history.state || {};
      state.intakeClientId = clientId.value;
      window.history.replaceState(state, "");
    }
    window.addEventListener("pageshow", function () { if (kept()) clientId.value = kept(); });
  }

  function renumber() {
    Array.prototype.forEach.call(box.querySelectorAll(".doc-row"), function (row, i) {
      row.dataset.index = i;
      Array.prototype.forEach.call(row.querySelectorAll("[name], [for], [id]"), function (el) {
        ["name", "for", "id", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/documents-\d+-/, "documents-" + i + "-"));
        });
      });
    });
  }

  document.getElementById("add-doc").addEventListener("click", function () {
    var rows = box.querySelectorAll(".doc-row");
    var copy = rows[rows.length - 1].cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) {
      input.value = /-pages$/.test(input.name) ? "1" : (input.type === "number" || /-(originals|certified_copies|photocopies)$/.test(input.name) ? "0" : "");
      input.removeAttribute("aria-invalid");
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".error"), function (e) { e.remove(); });
    Array.prototype.forEach.call(copy.querySelectorAll(".has-error"), function (e) { e.classList.remove("has-error"); });
    box.appendChild(copy);
    renumber();
    copy.querySelector("input").focus();
  });

  box.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-doc")) return;
    if (box.querySelectorAll(".doc-row").length <= 1) return;
    event.target.closest(".doc-row").remove();
    renumber();
  });

  function localIso(d) {
    function pad(n) { return String(Math.abs(n)).padStart(2, "0"); }
    var off = -d.getTimezoneOffset();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }
  form.addEventListener("submit", function () {
    form.querySelector("[name=device_time]").value = localIso(new Date());
  });
})();
