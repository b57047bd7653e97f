/* The home visit form: previews of the photos chosen; each photo taken with the
   camera keeps its own input (hidden), and a fresh one takes the next photo. */
(function () {
  "use strict";
  var box = document.querySelector(".visit-photos");
  var previews = document.getElementById("photo-previews");
  if (!box || !previews) return;
  function show() {
    previews.textContent = "";
    box.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file); img.width = 96; img.height = 72; img.alt = file.name;
        previews.appendChild(img);
      });
    });
  }
  box.addEventListener("change", function (event) {
    var input = event.target;
    if (input.classList.contains("camera-input") && input.files.length) {
      var fresh = input.cloneNode(); fresh.value = "";
      input.classList.remove("camera-input"); input.hidden = true;
      input.parentNode.parentNode.appendChild(input);
      document.getElementById("camera-btn").appendChild(fresh);
    }
    show();
  });
})();
