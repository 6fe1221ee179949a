/* Files over the drop zone's size limit: dcc.Upload refuses them silently, so say why in the search alert. */
(function () {
  function sayTooBig(event) {
    const zone = event.target.closest && event.target.closest("[data-max-bytes]");
    const files = zone && (event.dataTransfer || event.target).files;
    const big = files && Array.from(files).find((file) => file.size > Number(zone.dataset.maxBytes));
    if (!big || !window.dash_clientside) {
      return;
    }
    const text = zone.dataset.tooBig.replace("{name}", big.name)
      .replace("{size}", Math.ceil(big.size / 1048576));
    window.dash_clientside.set_props("search-alert", {children: {
      namespace: "dash_html_components", type: "Div",
      props: {children: text, className: "alert alert-warning", role: "alert"}}});
  }
  document.addEventListener("drop", sayTooBig, true);
  document.addEventListener("change", sayTooBig, true);
})();
