// Tracking codes as the scanner reads them, with no page and no network: S10
// codes by the rule of postal_tracker/s10.py, and the code inside a slip QR's
// token by the layout of postal_tracker/slips/token.py. The script keeps these
// two algorithms so that it can check a code offline; tests/scanner/test_codes_js.py
// runs them under node against the Python side.
(function (exports) {
  "use strict";

  // ---- S10 codes -----------------------------------------------------------
  var WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];
  function checkDigit(serial) {
    var total = 0;
    for (var i = 0; i < 8; i++) total += Number(serial[i]) * WEIGHTS[i];
    var c = 11 - (total % 11);
    return c === 10 ? 0 : c === 11 ? 5 : c;
  }
  function issuable(serial) {
    var check = checkDigit(serial);
    if (check === 5) return false;
    var swapped = serial.slice(0, 7) + String(check);
    return serial[7] === String(check) || checkDigit(swapped) !== Number(serial[7]);
  }
  // "ok" with the normalised code, or the reason it is refused.
  function validateCode(text) {
    var code = text.replace(/[\s-]/g, "").toUpperCase();
    var m = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/.exec(code);
    if (!m) return { error: "bad_format" };
    if (checkDigit(m[2]) !== Number(m[3]) || !issuable(m[2])) return { error: "bad_code" };
    return { code: code };
  }

  // ---- Slip QR: <BASE>/V/<TOKEN> ------------------------------------------
  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var TOKEN_LENGTH = 136;
  function codeFromToken(token) {
    token = token.trim().toUpperCase();
    if (token.length !== TOKEN_LENGTH || !/^[A-Z2-7]+$/.test(token)) return null;
    // Bytes 1..6 hold the packed code; they are characters 1..12 of the token
    // (bits 8..55), so only the first 12 characters need decoding.
    var bits = "";
    for (var i = 0; i < 12; i++) bits += ("00000" + B32.indexOf(token[i]).toString(2)).slice(-5);
    if (parseInt(bits.slice(0, 8), 2) !== 1) return null; // version 1 only
    var value = parseInt(bits.slice(8, 56), 2); // 48 bits: exact in a double
    var serial = value % 100000000;
    var letters = Math.floor(value / 100000000);
    var chars = [];
    for (var k = 0; k < 4; k++) { chars.unshift(String.fromCharCode(65 + (letters % 26))); letters = Math.floor(letters / 26); }
    if (letters !== 0) return null;
    var digits = ("0000000" + serial).slice(-8);
    return chars[0] + chars[1] + digits + checkDigit(digits) + chars[2] + chars[3];
  }
  // What the person scanned or typed -> {code} or {error}: a code, a slip URL
  // in any case, or a bare token (token_from_scan). The token's signature is
  // checked by the server whenever it matters, not here.
  function parseScan(text) {
    text = (text || "").trim();
    var marker = text.toUpperCase().lastIndexOf("/V/");
    var token = marker >= 0 ? text.slice(marker + 3) : text;
    if (marker >= 0 || token.length === TOKEN_LENGTH) {
      var fromToken = codeFromToken(token);
      return fromToken ? validateCode(fromToken) : { error: "bad_code" };
    }
    return validateCode(text);
  }

  exports.validateCode = validateCode;
  exports.codeFromToken = codeFromToken;
  exports.parseScan = parseScan;
})(typeof module === "object" ? module.exports : (window.ScanCodes = {}));
