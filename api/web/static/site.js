// Small improvements only: every form works without this file.
// A field group marked data-shown-when="NAME=VALUE" is hidden unless that choice is made.
(function () {
  function update(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (group) {
      var rule = group.getAttribute("data-shown-when").split("=");
      var chosen = form.querySelector('input[name="' + rule[0] + '"]:checked');
      var hasError = group.querySelector(".field-error") !== null;
      group.hidden = !hasError && !(chosen && chosen.value === rule[1]);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-shown-when]")) return;
      form.addEventListener("change", function () { update(form); });
      update(form);
    });
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
      // A link in the summary puts the cursor in its field, not only scrolls to it.
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        var field = link && document.getElementById(link.getAttribute("href").slice(1));
        if (!field) return;
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      });
    }
  });
})();
