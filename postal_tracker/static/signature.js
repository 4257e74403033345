// Signing with a finger in a canvas: every <canvas class="signature-pad"
// data-field="ID"> writes its drawing as a PNG data URL into the hidden field
// ID; a button with data-clears="ID" wipes it. Pointer events cover mouse,
// pen and touch. Used by the proof of delivery and the intake form.
(function () {
  "use strict";
  document.querySelectorAll("canvas.signature-pad[data-field]").forEach(function (canvas) {
    var field = document.getElementById(canvas.getAttribute("data-field"));
    if (!field) { return; }
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
    var clear = document.querySelector("[data-clears='" + field.id + "']");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        field.value = "";
        inked = false;
      });
    }
  });
})();
