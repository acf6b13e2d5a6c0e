// The case page's forms, enhanced (they work without this file):
// - triage: picking another category moves the handling level to that category's default (data-level), so the
//   level shown — and the desk named beside it — is what will happen;
// - dispatch: a filter box over the long list of places to send a case (people, pools, units, departments). The
//   list is rebuilt from a copy on each keystroke (hiding <option>s does not work in every phone's picker).
// Text comes from data-* attributes rendered in the page's language. No inline script (CSP), no library.
(function () {
  "use strict";

  document.querySelectorAll("select[name=category]").forEach(function (category) {
    const form = category.form;
    const level = form && form.querySelector("select[name=level]");
    if (!level) return;
    category.addEventListener("change", function () {
      const option = category.options[category.selectedIndex];
      const wanted = option && option.dataset.level;
      if (wanted && level.querySelector('option[value="' + wanted + '"]')) level.value = wanted;
    });
  });

  document.querySelectorAll("select[data-filter]").forEach(function (select) {
    // A copy of the list: [{label, options: [{value, text}]}]; a group without a label holds loose options.
    const groups = [];
    let placeholder = null;
    Array.prototype.forEach.call(select.children, function (child) {
      if (child.tagName === "OPTGROUP") {
        groups.push({
          label: child.label,
          options: Array.prototype.map.call(child.children, function (o) { return { value: o.value, text: o.text }; }),
        });
      } else if (child.value === "") {
        placeholder = child;
      } else {
        groups.push({ label: "", options: [{ value: child.value, text: child.text }] });
      }
    });

    const box = document.createElement("input");
    box.type = "search";
    box.className = "filter-box";
    box.id = select.id + "-filter";
    box.setAttribute("autocomplete", "off");
    box.placeholder = select.dataset.filterPlaceholder || "";
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.className = "visually-hidden";
    label.textContent = select.dataset.filterLabel || "";
    const status = document.createElement("p");
    status.className = "hint filter-status";
    status.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(label, select);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select.nextSibling);

    function rebuild() {
      const words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const chosen = select.value;
      while (select.firstChild) select.removeChild(select.firstChild);
      if (placeholder) select.appendChild(placeholder);
      let found = 0;
      let only = "";
      groups.forEach(function (group) {
        const hit = group.options.filter(function (o) {
          const text = (group.label + " " + o.text).toLowerCase();
          return words.every(function (w) { return text.indexOf(w) !== -1; });
        });
        if (!hit.length) return;
        const parent = group.label ? document.createElement("optgroup") : select;
        if (group.label) parent.label = group.label;
        hit.forEach(function (o) {
          parent.appendChild(new Option(o.text, o.value, false, o.value === chosen));
          found += 1;
          only = o.value;
        });
        if (parent !== select) select.appendChild(parent);
      });
      if (found === 1) select.value = only;
      else if (!select.querySelector('option[value="' + chosen + '"]') && placeholder) select.value = "";
      status.textContent = words.length
        ? (found ? (select.dataset.filterFound || "%s").replace("%s", found) : select.dataset.filterNone || "")
        : "";
      select.dataset.shown = String(found);
    }

    box.addEventListener("input", rebuild);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // choosing, not sending: the form is sent with its own button
        select.focus();
      }
    });
    select.dataset.ready = "true";
  });
})();
