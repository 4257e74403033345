// The recipient signs with a finger in a canvas; the drawing is sent as a PNG
// data URL in a hidden field. Pointer events cover mouse, pen and touch.
(function () {
  "use strict";
  var canvas = document.getElementById("signature-pad");
  var field = document.getElementById("signature");
  if (!canvas || !field) { return; }
  var ctx = canvas.getContext("2d");
  var drawing = false;
  var inked = false;
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  ctx.strokeStyle = "#000";
  function at(e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    var p = at(e);
    ctx.beginPath();
    ctx.moveTo(p[0], p[1]);
    e.preventDefault();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) { return; }
    var p = at(e);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    inked = true;
    e.preventDefault();
  });
  function stop() {
    if (drawing && inked) { field.value = canvas.toDataURL("image/png"); }
    drawing = false;
  }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  document.getElementById("clear-signature").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    field.value = "";
    inked = false;
  });
})();
