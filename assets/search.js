/* Several tracks pasted one per line: a one-line input would drop the line breaks, so they become "; "
   (the separator the search splits on). Enter still searches, and the suggestions still work. */
document.addEventListener("paste", function (event) {
  const box = event.target;
  const text = box.id === "search-input" ? event.clipboardData.getData("text") : "";
  const lines = text.split(/[\r\n]+/).map((line) => line.trim()).filter(Boolean);
  if (lines.length < 2) {
    return;
  }
  event.preventDefault();
  const before = box.value.slice(0, box.selectionStart).replace(/[\s;]+$/, "");
  const after = box.value.slice(box.selectionEnd).replace(/^[\s;]+/, "");
  const value = [before, lines.join("; "), after].filter(Boolean).join("; ");
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(box, value);
  box.dispatchEvent(new Event("input", {bubbles: true}));  // React (dcc.Input) reads the new value
}, true);
