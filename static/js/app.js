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
