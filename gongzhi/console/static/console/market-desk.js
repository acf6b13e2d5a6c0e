// The market's check-in desk: a hardware scanner types the booking QR's payload ("GZM:<code>") into the scan field
// and presses Enter, which submits the form without any script. This adds the tablet's own camera: frames are read
// with jsQR (from npm, served from static/vendor) and the first booking payload found is put into the scan field and
// submitted. The server checks the code (services.normalise_code); nothing here decides anything. Texts come from
// data-* attributes, already translated by the template.
(function () {
  "use strict";
  const PREFIX = "GZM:";
  const button = document.getElementById("camera-button");
  const box = document.getElementById("camera-box");
  const video = document.getElementById("camera");
  const canvas = document.getElementById("camera-frame");
  const status = document.getElementById("camera-status");
  const field = document.getElementById("scan");
  const form = document.getElementById("scan-form");
  if (field && !document.querySelector("#booking, #desk-error")) field.focus();
  if (!button || !video || !canvas || !field || !form) return;
  if (!window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  button.hidden = false;

  let stream = null;
  let timer = null;
  const context = canvas.getContext("2d", { willReadFrequently: true });

  function say(text) {
    if (status) status.textContent = text || "";
  }

  function stop() {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    box.hidden = true;
    button.textContent = button.dataset.start;
    delete button.dataset.running;
  }

  function read() {
    timer = null;
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      if (found && found.data && found.data.toUpperCase().startsWith(PREFIX)) {
        field.value = found.data;
        say(button.dataset.seen);
        stop();
        form.dataset.scanned = "camera";
        form.submit();
        return;
      }
    }
    timer = window.setTimeout(read, 150);
  }

  button.addEventListener("click", () => {
    if (button.dataset.running) {
      stop();
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then((s) => {
        stream = s;
        video.srcObject = s;
        box.hidden = false;
        button.dataset.running = "true";
        button.textContent = button.dataset.stop;
        say("");
        return video.play();
      })
      .then(() => read())
      .catch(() => {
        stop();
        say(button.dataset.fail);
      });
  });
  window.addEventListener("pagehide", stop);
})();
