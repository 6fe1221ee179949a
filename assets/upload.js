/* Files the drop zone refuses (over its size limit, or typed as something other than audio): dcc.Upload
   refuses them silently, so say why in the search alert. */
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
      return zone.dataset.notAudio.replace("{name}", foreign.name);
    }
    const big = files.find((file) => file.size > Number(zone.dataset.maxBytes));
    if (big) {
      return zone.dataset.tooBig.replace("{name}", big.name).replace("{size}", Math.ceil(big.size / 1048576));
    }
    return null;
  }

  function sayWhyRefused(event) {
    const zone = event.target.closest && event.target.closest("[data-max-bytes]");
    const files = zone && (event.dataTransfer || event.target).files;
    const text = files && files.length && refusal(zone, Array.from(files));
    if (!text || !window.dash_clientside) {
      return;
    }
    window.dash_clientside.set_props("search-alert", {children: {
      namespace: "dash_html_components", type: "Div",
      props: {children: text, className: "alert alert-warning", role: "alert"}}});
  }
  document.addEventListener("drop", sayWhyRefused, true);
  document.addEventListener("change", sayWhyRefused, true);
})();
