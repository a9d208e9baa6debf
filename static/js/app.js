// Follow the device's light or dark mode when the user chose "Follow my device".
(function () {
  var root = document.documentElement;
  if (root.dataset.themePreference === "auto" && window.matchMedia) {
    var dark = window.matchMedia("(prefers-color-scheme: dark)");
    var apply = function () { root.setAttribute("data-bs-theme", dark.matches ? "dark" : "light"); };
    apply();
    dark.addEventListener("change", apply);
  }
})();

// Copy buttons: <button data-copy-target="#id">.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) return;
  var target = document.querySelector(button.dataset.copyTarget);
  if (!target || !navigator.clipboard) return;
  navigator.clipboard.writeText(target.textContent.trim()).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});

// Show the hex value beside each colour picker, kept in step as the user picks.
document.querySelectorAll('input[type="color"]').forEach(function (input) {
  var output = document.createElement("output");
  output.className = "ms-2 small font-monospace align-middle";
  output.setAttribute("for", input.id);
  output.value = input.value.toUpperCase();
  input.insertAdjacentElement("afterend", output);
  input.addEventListener("input", function () { output.value = input.value.toUpperCase(); });
});

// After a failed submit, move focus to the first field with an error.
(function () {
  var invalid = document.querySelector(".is-invalid");
  if (invalid) invalid.focus();
})();

// Filter forms marked data-drop-empty-params leave empty fields out of htmx requests, so the
// address bar shows only the filters in use (?style=bold rather than ?q=&category=&style=bold…).
document.addEventListener("htmx:configRequest", function (event) {
  var form = event.detail.elt;
  if (!form || !form.hasAttribute || !form.hasAttribute("data-drop-empty-params")) return;
  var params = event.detail.parameters;
  Object.keys(params).forEach(function (key) {
    if (params[key] === "" || params[key] === null) delete params[key];
  });
});

// Links that remove gallery filters (the chips, "Clear filters") clear the matching fields of the
// filter form and submit it, so the form stays the one record of what is filtered. Without
// JavaScript they are plain links to the same filtered page.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-clear-filter]");
  if (!link || !window.htmx) return;
  var form = document.getElementById(link.dataset.filterForm);
  if (!form || !form.requestSubmit) return;
  event.preventDefault();
  var names = link.dataset.clearFilter.split(" ");
  Array.prototype.forEach.call(form.elements, function (field) {
    if (names.indexOf(field.name) < 0) return;
    if (field.type === "radio") field.checked = field.value === "";
    else if (field.type === "checkbox") field.checked = false;
    else field.value = "";
  });
  form.requestSubmit();
});

// Character counters for fields with data-char-limit. Nothing is cut: the field keeps what was typed
// or pasted, the counter says how far over the limit it is, and the form refuses it with a message.
// Fields marked data-char-counter="always" (the ad's texts) always show the count; others once
// the text reaches 80 % of the limit.
document.querySelectorAll("[data-char-limit]").forEach(function (input) {
  var limit = parseInt(input.dataset.charLimit, 10);
  var always = input.dataset.charCounter === "always";
  var counter = document.createElement("div");
  counter.className = "form-text text-end char-counter";
  counter.id = (input.id || input.name) + "_counter";
  counter.setAttribute("aria-live", "polite");
  var update = function () {
    var length = input.value.length;
    var left = limit - length;
    var over = left < 0;
    counter.hidden = !always && length < limit * 0.8;
    counter.textContent = over
      ? (-left) + " character" + (left === -1 ? "" : "s") + " too many: at most " + limit + ". Shorten it to continue."
      : left + " character" + (left === 1 ? "" : "s") + " left";
    counter.classList.toggle("text-danger", over);
    counter.classList.toggle("fw-semibold", over);
    input.classList.toggle("is-invalid", over || input.classList.contains("server-invalid"));
    if (over) input.setAttribute("aria-invalid", "true");
    else if (!input.classList.contains("server-invalid")) input.removeAttribute("aria-invalid");
  };
  if (input.classList.contains("is-invalid")) input.classList.add("server-invalid");
  var describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  describedBy.push(counter.id);
  input.setAttribute("aria-describedby", describedBy.join(" "));
  update();
  input.insertAdjacentElement("afterend", counter);
  input.addEventListener("input", update);
});
