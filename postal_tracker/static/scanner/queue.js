// The phone's queue of scans, in IndexedDB. A scan is "saved" only once its
// write transaction has completed; entries never expire: they leave the queue
// when the server has recorded them, or when the person discards a refused one.
(function () {
  "use strict";
  var DB_NAME = "postal-tracker-scanner";
  var VERSION = 1;
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        // seq keeps the order the person scanned in.
        var scans = db.createObjectStore("scans", { keyPath: "seq", autoIncrement: true });
        scans.createIndex("client_id", "client_id", { unique: true });
        db.createObjectStore("cache", { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { opening = null; reject(req.error); };
    });
    return opening;
  }

  // Run fn(store) in a transaction; resolve with fn's result once it completes.
  function tx(storeName, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(storeName, mode);
        var result;
        var r = fn(t.objectStore(storeName));
        if (r && "onsuccess" in r) r.onsuccess = function () { result = r.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("aborted")); };
      });
    });
  }

  window.ScanQueue = {
    // entry: {client_id, user_id, body, state: "pending"|"conflict"|"failed", ...}
    add: function (entry) { return tx("scans", "readwrite", function (s) { return s.add(entry); }); },
    put: function (entry) { return tx("scans", "readwrite", function (s) { return s.put(entry); }); },
    remove: function (seq) { return tx("scans", "readwrite", function (s) { return s.delete(seq); }); },
    all: function () { return tx("scans", "readonly", function (s) { return s.getAll(); }); },
    getCache: function (key) {
      return tx("cache", "readonly", function (s) { return s.get(key); }).then(function (row) {
        return row ? row.value : null;
      });
    },
    setCache: function (key, value) {
      return tx("cache", "readwrite", function (s) { return s.put({ key: key, value: value }); });
    }
  };
})();
