// Small progressive enhancements; every page works without this file.
// A range input shows its value in the <output for="..."> that names it.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "range" || !input.id) return;
  for (const output of document.querySelectorAll(`output[for~="${CSS.escape(input.id)}"]`)) {
    output.value = input.value;
  }
});
