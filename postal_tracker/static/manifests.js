// Manifest pages: the device's time on forms, and the receive page's scan list.
// Without JavaScript the pages still work: the codes are typed into the text area.
(function () {
  "use strict";

  function deviceTime() {
    // ISO 8601 with the device's UTC offset: the server keeps both clocks.
    const d = new Date();
    const pad = (n) => String(Math.abs(n)).padStart(2, "0");
    const off = -d.getTimezoneOffset();
    const sign = off >= 0 ? "+" : "-";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.trunc(off / 60)) + ":" + pad(off % 60);
  }

  document.querySelectorAll("form.with-device-time").forEach(function (form) {
    form.addEventListener("submit", function () {
      const field = form.querySelector("input[name=device_time]");
      if (field) field.value = deviceTime();
    });
  });

  // UPU S10: weights 8 6 4 2 3 5 9 7; C = 11 - S mod 11; 10 -> 0, 11 -> 5.
  function checkCode(text) {
    const code = text.replace(/[\s-]/g, "").toUpperCase();
    const m = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/.exec(code);
    if (!m) return { code: code, error: "format" };
    const weights = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += weights[i] * Number(m[2][i]);
    let c = 11 - (sum % 11);
    if (c === 10) c = 0;
    if (c === 11) c = 5;
    return { code: code, error: c === Number(m[3]) ? null : "bad" };
  }

  const form = document.getElementById("receive-form");
  if (!form) return;
  const listed = new Set(JSON.parse(form.dataset.listed || "[]"));
  const labels = document.getElementById("labels").content.firstElementChild.dataset;
  const scan = document.getElementById("scan");
  const error = document.getElementById("scan-error");
  const list = document.getElementById("scanned");
  const area = form.querySelector("textarea[name=codes]");
  const tally = document.getElementById("tally");
  const codesField = document.getElementById("codes-field");
  scan.hidden = false;
  tally.hidden = false;
  if (!document.getElementById("codes-error")) codesField.hidden = true;

  function codes() {
    return area.value.split(/\s+/).filter(Boolean);
  }

  function render() {
    list.textContent = "";
    let inside = 0;
    let extra = 0;
    codes().forEach(function (code) {
      const li = document.createElement("li");
      const isIn = listed.has(code);
      if (isIn) inside++; else extra++;
      li.className = isIn ? "outcome ok" : "outcome warn";
      li.dataset.code = code;
      const text = document.createElement("code");
      text.textContent = code;
      const note = document.createElement("span");
      note.textContent = " " + (isIn ? labels.in : labels.extra) + " ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = labels.remove;
      remove.addEventListener("click", function () {
        area.value = codes().filter((c) => c !== code).join("\n");
        render();
        scan.focus();
      });
      li.append(text, note, remove);
      list.prepend(li);
    });
    document.getElementById("n-in").textContent = String(inside);
    document.getElementById("n-extra").textContent = String(extra);
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();  // a scanner's Enter adds the code; it does not submit
    const raw = scan.value.trim();
    scan.value = "";
    if (!raw) return;
    const checked = checkCode(raw);
    if (checked.error) {
      error.textContent = raw + ": " + (checked.error === "bad" ? labels.bad : labels.format);
      return;
    }
    if (codes().includes(checked.code)) {
      error.textContent = checked.code + ": " + labels.twice;
      return;
    }
    error.textContent = "";
    area.value = codes().concat([checked.code]).join("\n");
    render();
  });

  render();
})();
