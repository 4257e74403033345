// The scanner page: read a code (scanner-input field, camera, photo), show what
// the person may do with the item, write each scan to the phone's queue before
// saying "saved", and send the queue in order whenever the network allows.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var ME = JSON.parse(document.getElementById("scanner-me").textContent);
  var T = JSON.parse(document.getElementById("scanner-strings").textContent);
  var API = root.dataset.api;
  var CSRF = root.dataset.csrf;
  // What the custody rules say for this person (postal_tracker/scanner/views.py).
  var RULES = JSON.parse(document.getElementById("scanner-rules").textContent);

  function $(id) { return document.getElementById(id); }
  var input = $("scan-input");
  var message = $("scan-message");
  var current = null; // {code, item, events, offline}
  var syncing = false;
  var lastGeo = null;

  var parseScan = ScanCodes.parseScan;

  // ---- Times and ids ------------------------------------------------------
  function localIso(d) {
    function pad(n) { return String(Math.abs(n)).padStart(2, "0"); }
    var off = -d.getTimezoneOffset();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; fall back to random bytes.
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function showTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(document.documentElement.lang || undefined);
  }

  function say(text, kind) {
    message.textContent = text || "";
    message.className = "scan-message" + (kind ? " " + kind : "");
  }

  // ---- Network -------------------------------------------------------------
  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = CSRF;
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data };
      });
    });
  }

  function setNet() {
    var el = $("net-state");
    var on = navigator.onLine;
    el.textContent = on ? el.dataset.online : el.dataset.offline;
    el.className = "net " + (on ? "online" : "offline");
  }

  // Holdings (with offer ids) and parties are kept on the phone, so that an
  // offline receiver can still confirm what was offered to them.
  function refreshCaches() {
    api("GET", "/holdings").then(function (r) {
      if (r.status === 200) return ScanQueue.setCache("holdings:" + ME.id, r.data);
    }).catch(function () {});
    fetch(root.dataset.parties, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (data) return ScanQueue.setCache("parties", data).then(function () { fillParties(data); });
    }).catch(function () {
      ScanQueue.getCache("parties").then(function (d) { if (d) fillParties(d); });
    });
  }
  function fillParties(data) {
    function fill(list, rows, key) {
      list.innerHTML = "";
      rows.forEach(function (row) {
        var o = document.createElement("option");
        o.value = row[key];
        o.label = row.name;
        list.appendChild(o);
      });
    }
    fill($("units-list"), data.units || [], "code");
    fill($("people-list"), data.people || [], "username");
  }

  // ---- Looking an item up ---------------------------------------------------
  function handleScan(text) {
    var parsed = parseScan(text);
    if (parsed.error) {
      say(T[parsed.error], "bad");
      $("item-card").hidden = true;
      return;
    }
    input.value = parsed.code;
    say(T.looking_up);
    lookup(parsed.code);
  }

  function lookup(code) {
    if (!navigator.onLine) return lookupOffline(code);
    api("GET", "/items/" + encodeURIComponent(code)).then(function (r) {
      if (r.status === 200) {
        show({ code: code, item: r.data.item, events: r.data.events, offline: false });
        say("");
      } else if (r.status === 404) {
        $("item-card").hidden = true;
        say(T.not_found, "bad");
      } else {
        say((r.data.error && r.data.error.message) || String(r.status), "bad");
      }
    }).catch(function () { lookupOffline(code); });
  }

  function lookupOffline(code) {
    ScanQueue.getCache("holdings:" + ME.id).then(function (h) {
      h = h || { held: [], offered: [] };
      var item = null;
      (h.held || []).concat(h.offered || []).forEach(function (i) { if (i.tracking_code === code) item = i; });
      show({ code: code, item: item, events: null, offline: true });
      say(item ? T.offline_known : T.offline_unknown, "warn");
    });
  }

  function holds(item) {
    if (!item) return false;
    if (item.custodian_user_id != null) return item.custodian_user_id === ME.id;
    return ME.unit_ids.indexOf(item.custodian_unit_id) >= 0;
  }
  function offeredToMe(item) {
    if (!item || item.offer_event_id == null) return false;
    if (item.offered_to_user_id != null) return item.offered_to_user_id === ME.id;
    return ME.unit_ids.indexOf(item.offered_to_unit_id) >= 0;
  }
  function terminal(item) { return !!item && RULES.terminal.indexOf(item.phase) >= 0; }

  function show(view) {
    current = view;
    var item = view.item;
    $("item-card").hidden = false;
    $("item-code").textContent = view.code;
    $("item-phase").textContent = item ? (T.phase[item.phase] || item.phase) : "";
    $("item-phase").className = "phase" + (item && item.disputed ? " disputed" : "");
    $("offer-form").hidden = true;
    $("incident-form").hidden = true;
    var state = "";
    var actions = [];
    var handles = RULES.handles;
    if (item && item.disputed) {
      state = T.disputed;
    } else if (terminal(item)) {
      state = "";
    } else if (offeredToMe(item)) {
      state = T.offered_to_you;
      actions.push(RULES.receipt_kinds[item.phase]);
    } else if (holds(item) && handles) {
      state = T.you_hold;
      actions.push("handover_offered", "arrived", "departed");
    } else if (!item && view.offline && handles) {
      // Unknown offline: let the person record it; the server decides later.
      actions.push("arrived", "departed");
    } else if (item) {
      state = T.held_by_other;
    }
    if (RULES.may_report && !terminal(item)) actions.push("incident_opened");
    $("item-state").textContent = state;
    var box = $("item-actions");
    box.innerHTML = "";
    actions.forEach(function (kind, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = i === 0 ? "primary" : "";
      b.dataset.kind = kind;
      b.textContent = T.kinds[kind] || kind;
      box.appendChild(b);
    });
    renderTimeline(view.events);
  }

  function renderTimeline(events) {
    var list = $("timeline");
    list.innerHTML = "";
    $("timeline-box").hidden = !events;
    (events || []).slice().reverse().forEach(function (e) {
      var li = document.createElement("li");
      li.className = "kind-" + e.kind;
      var what = document.createElement("strong");
      what.textContent = T.events[e.kind] || e.kind;
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = showTime(e.device_time);
      li.appendChild(what);
      li.appendChild(when);
      list.appendChild(li);
    });
  }

  // ---- Recording a scan ---------------------------------------------------
  $("item-actions").addEventListener("click", function (ev) {
    var kind = ev.target.dataset && ev.target.dataset.kind;
    if (!kind || !current) return;
    if (kind === "handover_offered") { $("offer-form").hidden = false; $("incident-form").hidden = true; $("offer-unit").focus(); return; }
    if (kind === "incident_opened") { $("incident-form").hidden = false; $("offer-form").hidden = true; $("incident-kind").focus(); return; }
    var body = { kind: kind };
    if (["handover_confirmed", "delivered_to_agency", "result_collected", "returned_to_agency"].indexOf(kind) >= 0) {
      body.follows = current.item.offer_event_id;
    }
    record(body);
  });

  $("offer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var unit = $("offer-unit").value.trim().toUpperCase();
    var user = $("offer-user").value.trim().toLowerCase();
    var err = $("offer-error");
    if (!unit && !user) { err.textContent = T.receiver_needed; err.hidden = false; return; }
    err.hidden = true;
    var receiver = {};
    if (unit) receiver.unit_code = unit;
    if (user) receiver.username = user;
    record({ kind: "handover_offered", receiver: receiver });
  });

  $("incident-kind").addEventListener("change", function () {
    $("missing-pages-field").hidden = this.value !== "missing_pages";
  });
  $("incident-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var kind = $("incident-kind").value;
    var err = $("incident-error");
    var pages = parseInt($("incident-pages").value, 10);
    if (!kind) { err.textContent = T.incident_kind_needed; err.hidden = false; return; }
    if (kind === "missing_pages" && !(pages >= 1 && pages <= 9999)) { err.textContent = T.pages_needed; err.hidden = false; return; }
    err.hidden = true;
    var incident = { kind: kind, note: $("incident-note").value.trim() };
    if (kind === "missing_pages") incident.missing_pages = pages;
    record({ kind: "incident_opened", incident: incident });
  });

  // While a scan is being saved, its buttons are off: a double tap is one scan.
  var recording = false;
  function setRecording(on) {
    recording = on;
    document.querySelectorAll("#item-actions button, #offer-form button, #incident-form button").forEach(function (b) { b.disabled = on; });
  }

  function record(partial) {
    if (recording) return;
    setRecording(true);
    var code = current.code;
    var body = {
      client_id: newClientId(),
      tracking_code: code,
      kind: partial.kind,
      device_time: localIso(new Date())
    };
    ["follows", "receiver", "incident"].forEach(function (k) { if (partial[k] != null) body[k] = partial[k]; });
    if (lastGeo && Date.now() - lastGeo.at < 120000) body.geo = lastGeo.geo;
    var custodial = ["handover_offered", "arrived", "departed"].indexOf(body.kind) >= 0;
    ScanQueue.all().then(function (entries) {
      var earlier = entries.some(function (e) { return e.user_id === ME.id && e.body.tracking_code === code && e.state === "pending"; });
      var entry = { client_id: body.client_id, user_id: ME.id, username: ME.username, body: body, state: "pending", saved_at: Date.now() };
      if (custodial) {
        // The view the person acted on: a scan naming it becomes a conflict,
        // not an overwrite, if the item moved meanwhile. After an earlier
        // unsent scan of the same item, the view is that scan's result, known
        // only once it is sent.
        if (earlier) entry.follows_previous = true;
        else if (current.item && current.item.head_event_id != null && holds(current.item)) body.follows = current.item.head_event_id;
      }
      return ScanQueue.add(entry);
    }).then(function () {
      say(T.saved + ": " + code + " · " + (T.kinds[body.kind] || body.kind), "ok");
      $("offer-form").hidden = true;
      $("incident-form").hidden = true;
      $("item-actions").innerHTML = "";
      input.value = "";
      input.focus();
      return renderQueue();
    }).then(function () {
      setRecording(false);
      return sync();
    }).catch(function (e) { setRecording(false); say(String(e), "bad"); });
  }

  // ---- Sending the queue, in order, one at a time ---------------------
  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    // Send only under the session of the person who scanned: the page may be
    // a cached copy from someone who has since logged out.
    var sameSession = fetch(root.dataset.me, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok && !r.redirected ? r.json() : null; })
      .then(function (who) {
        if (who && who.id === ME.id) return true;
        if (who) say(T.wrong_session, "warn");
        return false;
      });
    function next() {
      return ScanQueue.all().then(function (entries) {
        var mine = entries.filter(function (e) { return e.user_id === ME.id; });
        var entry = mine.filter(function (e) { return e.state === "pending"; })[0];
        if (!entry) return null;
        return send(entry, mine).then(function (goOn) { return goOn ? next() : null; });
      });
    }
    return sameSession.then(function (ok) { return ok ? next() : null; })
      .catch(function () {}).then(function () { syncing = false; return renderQueue(); });
  }

  // Hand the item's new head to the next unsent scan of the same item.
  function passHead(entry, mine, head) {
    var later = mine.filter(function (e) {
      return e.seq > entry.seq && e.state === "pending" && e.body.tracking_code === entry.body.tracking_code && e.follows_previous;
    })[0];
    if (!later) return Promise.resolve();
    delete later.follows_previous;
    if (head != null) later.body.follows = head;
    return ScanQueue.put(later);
  }

  function send(entry, mine) {
    return api("POST", "/scans", entry.body).then(function (r) {
      var item = r.data && r.data.item;
      var head = item ? item.head_event_id : entry.body.follows;
      if (r.status === 200 || r.status === 201) {
        if (current && current.code === entry.body.tracking_code && current.item && item) {
          current.item.head_event_id = item.head_event_id;
        }
        return passHead(entry, mine, head).then(function () { return ScanQueue.remove(entry.seq); }).then(function () { return true; });
      }
      // Logged out, or the session's CSRF token expired: keep it for later.
      if (r.status === 401 || (r.status === 400 && !(r.data.error && r.data.error.code === "bad_json"))) return false;
      entry.state = r.status === 409 ? "conflict" : "failed";
      entry.status = r.status;
      entry.message = (r.data.error && r.data.error.message) || String(r.status);
      if (r.data.error && r.data.error.fields) {
        entry.message += " (" + Object.keys(r.data.error.fields).map(function (k) { return k + ": " + r.data.error.fields[k]; }).join("; ") + ")";
      }
      if (r.status >= 500) { return false; } // the server's trouble: try again later
      if (r.status === 409) say(T.conflict + " " + entry.body.tracking_code, "bad");
      return passHead(entry, mine, head).then(function () { return ScanQueue.put(entry); }).then(function () { return true; });
    }, function () {
      return false; // no network: keep it, try again later
    });
  }

  function renderQueue() {
    return ScanQueue.all().then(function (entries) {
      var mine = entries.filter(function (e) { return e.user_id === ME.id; });
      var others = entries.length - mine.length;
      // Unsent: waiting for the network (anyone's); refused ones are listed below.
      $("unsent-count").textContent = String(entries.filter(function (e) { return e.state === "pending"; }).length);
      var list = $("queue");
      list.innerHTML = "";
      mine.forEach(function (e) {
        var li = document.createElement("li");
        li.className = "queued " + e.state;
        li.dataset.clientId = e.client_id;
        var head = document.createElement("div");
        head.innerHTML = "<strong></strong> <span></span> <span class=\"when\"></span>";
        head.children[0].textContent = e.body.tracking_code;
        head.children[1].textContent = T.kinds[e.body.kind] || e.body.kind;
        head.children[2].textContent = showTime(e.body.device_time);
        li.appendChild(head);
        if (e.state !== "pending") {
          var p = document.createElement("p");
          p.className = "queue-msg";
          p.textContent = e.state === "conflict" ? T.conflict : T.failed + " " + e.message;
          li.appendChild(p);
          var b = document.createElement("button");
          b.type = "button";
          b.className = "discard";
          b.dataset.seq = e.seq;
          b.textContent = T.discard;
          li.appendChild(b);
        }
        list.appendChild(li);
      });
      $("queue-empty").hidden = entries.length > 0;
      var o = $("queue-others");
      o.hidden = others === 0;
      o.textContent = others ? T.other_user + " (" + others + ")" : "";
    });
  }

  $("queue").addEventListener("click", function (ev) {
    var seq = ev.target.dataset && ev.target.dataset.seq;
    if (!seq || !window.confirm(T.discard_confirm)) return;
    ScanQueue.remove(Number(seq)).then(renderQueue);
  });

  // ---- Input: scanner field, camera, photo -----------------------------
  $("scan-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    handleScan(input.value);
  });

  var stream = null;
  var detecting = false;
  function stopCamera() {
    detecting = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    $("camera").hidden = true;
  }
  $("camera-start").addEventListener("click", function () {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
      say(T.camera_unavailable, "warn");
      $("photo-input").click();
      return;
    }
    var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      var video = $("camera-video");
      video.srcObject = s;
      $("camera").hidden = false;
      detecting = true;
      return video.play().then(function () {
        (function tick() {
          if (!detecting) return;
          detector.detect(video).then(function (codes) {
            if (codes.length) { stopCamera(); handleScan(codes[0].rawValue); }
            else setTimeout(tick, 200);
          }, function () { setTimeout(tick, 500); });
        })();
      });
    }).catch(function () { stopCamera(); say(T.camera_unavailable, "warn"); });
  });
  $("camera-stop").addEventListener("click", stopCamera);

  $("photo-input").addEventListener("change", function () {
    var file = this.files && this.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("photo", file);
    say(T.photo_sending);
    fetch(root.dataset.decode, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": CSRF } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.texts && data.texts.length) handleScan(data.texts[0]);
        else say((data.error && data.error.message) || T.photo_no_code, "bad");
      })
      .catch(function () { say(T.camera_unavailable, "warn"); });
    this.value = "";
  });

  // ---- Location, only with consent ------------------------------------------
  var watch = null;
  var consent = $("geo-consent");
  function applyConsent() {
    if (consent.checked && navigator.geolocation && watch === null) {
      watch = navigator.geolocation.watchPosition(function (pos) {
        lastGeo = { at: Date.now(), geo: { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: Math.min(pos.coords.accuracy, 100000) } };
      }, function () { say(T.geo_denied, "warn"); }, { enableHighAccuracy: true, maximumAge: 60000 });
    } else if (!consent.checked && watch !== null) {
      navigator.geolocation.clearWatch(watch);
      watch = null;
      lastGeo = null;
    }
  }
  consent.checked = localStorage.getItem("scanner.geo-consent") === "yes";
  consent.addEventListener("change", function () {
    localStorage.setItem("scanner.geo-consent", consent.checked ? "yes" : "no");
    applyConsent();
  });
  applyConsent();

  // ---- Start ------------------------------------------------------------------
  window.addEventListener("online", function () { setNet(); sync().then(refreshCaches); });
  window.addEventListener("offline", setNet);
  setInterval(function () { if (navigator.onLine) sync(); }, 30000);
  setNet();
  var manifest = document.createElement("link");
  manifest.rel = "manifest";
  manifest.href = root.dataset.manifest;
  document.head.appendChild(manifest);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(function () {});
  }
  renderQueue().then(sync).then(refreshCaches);
  input.focus();
  // For tests and for people reading the code: the pure parts.
  window.PostalScanner = { parseScan: parseScan, sync: sync,
    hasPosition: function () { return lastGeo !== null; } };
})();
