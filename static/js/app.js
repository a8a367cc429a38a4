// Small progressive enhancements; every page works without this file.
// A range input shows its value in the <output for="..."> that names it.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "range" || !input.id) return;
  for (const output of document.querySelectorAll(`output[for~="${CSS.escape(input.id)}"]`)) {
    output.value = input.value;
  }
});

// A button with data-copy="<selector>" copies that field's text to the clipboard.
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  await navigator.clipboard.writeText(source.value ?? source.textContent ?? "");
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});
