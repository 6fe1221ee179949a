/* The query asked again for a new destination playlist (`again-store`, ui.callbacks.again_store) replaces the
   answer on the page only if that is still the answer it was asked for: a Dig clicked meanwhile answers first
   and must not be overwritten by the older query landing after it. An answer restored from the session from
   before answers had an `answer_id` is replaced by the query asked again for it: every newer answer has one. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  cratedigger: Object.assign({}, (window.dash_clientside || {}).cratedigger, {
    applyAgain: function (again, current) {
      const skip = window.dash_clientside.no_update;
      if (!again || !current || (current.answer_id || null) !== (again.replaces || null)) {
        return [skip, skip];
      }
      return [again.store, again.alert];
    },
  }),
});
