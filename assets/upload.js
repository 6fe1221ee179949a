/* What the drop zone does not take, said in the search alert: dcc.Upload refuses silently a file over its
   size limit or typed as something other than audio, takes only the first of several dropped files and
   cannot read a dropped folder. A drop of several items or of a folder is narrowed here to the first file
   the zone takes, and the page says which one it analyses (`upload-note` carries that sentence to the
   upload's answer, so it stays once the results are in). */
(function () {
  /* react-dropzone's rule for the zone's `accept` list: a ".suffix", a "type/*" or an exact MIME type
     (the empty entry matches files the browser could not type). */
  function accepted(file, accept) {
    const name = file.name.toLowerCase();
    const type = (file.type || "").toLowerCase();
    return accept.split(",").some((entry) => {
      const rule = entry.trim().toLowerCase();
      if (rule.charAt(0) === ".") {
        return name.endsWith(rule);
      }
      if (rule.endsWith("/*")) {
        return type.replace(/\/.*$/, "") === rule.replace(/\/.*$/, "");
      }
      return type === rule;
    });
  }

  function refusal(zone, files) {
    const input = zone.querySelector("input[type='file']");
    const accept = (input && input.getAttribute("accept")) || "";
    const foreign = accept && files.find((file) => !accepted(file, accept));
    if (foreign) {
      // (a function as the replacement: a file named "$&.txt" is shown as it is)
      return zone.dataset.notAudio.replace("{name}", () => foreign.name);
    }
    const big = files.find((file) => file.size > Number(zone.dataset.maxBytes));
    if (big) {
      return zone.dataset.tooBig.replace("{name}", () => big.name).replace("{size}", () => Math.ceil(big.size / 1048576));
    }
    return null;
  }

  /* The dropped items, in order: {file, folder}. A folder comes as a File the zone cannot read; only the
     drop event's entries tell it apart (browsers without `webkitGetAsEntry` pass it on as a file). */
  function droppedItems(transfer) {
    const files = Array.from(transfer.files || []);
    const entries = Array.from(transfer.items || []).filter((item) => item.kind === "file")
      .map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry());
    return files.map((file, i) => ({file: file, folder: Boolean(entries[i] && entries[i].isDirectory)}));
  }

  /* "b.wav was", "b.wav and c.wav were", "b.wav and 2 others were" */
  function notUploaded(names) {
    if (names.length === 1) {
      return names[0] + " was";
    }
    return names[0] + " and " + (names.length === 2 ? names[1] : (names.length - 1) + " others") + " were";
  }

  /* (the item to analyse or null, the sentence) for a drop of several items or of a folder */
  function narrowed(zone, items) {
    const chosen = items.find((item) => !item.folder && !refusal(zone, [item.file])) || null;
    if (chosen) {
      const others = items.filter((item) => item !== chosen).map((item) => item.file.name);
      return [chosen, zone.dataset.oneAtATime.replace("{name}", () => chosen.file.name)
        .replace("{others}", () => notUploaded(others))];
    }
    if (items.length === 1) {
      return [null, zone.dataset.folder.replace("{name}", () => items[0].file.name)];
    }
    return [null, zone.dataset.noneOfSeveral.replace("{count}", () => items.length)];
  }

  function say(text) {
    window.dash_clientside.set_props("search-alert", {children: text && {
      namespace: "dash_html_components", type: "Div",
      props: {children: text, className: "alert alert-warning", role: "alert"}}});
  }

  const narrowedDrops = new WeakSet();  // the drops this script dispatches itself

  function onDropOrChoose(event) {
    const zone = event.target.closest && event.target.closest("[data-max-bytes]");
    if (!zone || !window.dash_clientside || narrowedDrops.has(event)) {
      return;
    }
    const transfer = event.dataTransfer || event.target;
    const items = event.dataTransfer ? droppedItems(transfer) : Array.from(transfer.files || [])
      .map((file) => ({file: file, folder: false}));
    if (items.length === 0 || (items.length === 1 && !items[0].folder)) {
      window.dash_clientside.set_props("upload-note", {data: null});
      const text = items.length && refusal(zone, [items[0].file]);
      if (text) {
        say(text);
      }
      return;
    }
    // Several items, or a folder: the zone gets a drop of the one file it analyses (or of none, which
    // ends its drag state), never the original.
    event.preventDefault();
    event.stopImmediatePropagation();
    const [chosen, text] = narrowed(zone, items);
    window.dash_clientside.set_props("upload-note", {data: chosen ? text : null});
    say(text);
    const transferOne = new DataTransfer();
    if (chosen) {
      transferOne.items.add(chosen.file);
    }
    const drop = new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: transferOne});
    narrowedDrops.add(drop);
    event.target.dispatchEvent(drop);
  }
  document.addEventListener("drop", onDropOrChoose, true);
  document.addEventListener("change", onDropOrChoose, true);
})();
