// Formulation editor: re-predict when a recipe value changes (the form posts; the page re-renders).
(function () {
  "use strict";
  var form = document.getElementById("recipe");
  if (!form) { return; }
  var timer = null;
  form.addEventListener("change", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { form.requestSubmit(); }, 300);
  });
})();
