// Regulars: the little behaviour our pages need, kept out of inline script
// so the Content-Security-Policy can forbid it.
document.addEventListener("DOMContentLoaded", () => {
  // Offer the browser's own time zone when a business signs up.
  for (const input of document.querySelectorAll("input[data-detect-timezone]")) {
    if (!input.value) {
      try {
        input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (_) { /* leave it for the owner to type */ }
    }
  }
  // Print buttons (the reports).
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // Copy buttons for set-password links.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copy);
      if (!target || !navigator.clipboard) return;
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = "Copied";
    });
  }
});

// The till's autofocus must not wait: the browser applies it at its next
// rendering step and drops it if a key arrives first, and a card scanner
// types faster than that. A kept value is selected, so typing replaces it.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector(".till [autofocus]");
  if (!target || (document.activeElement && document.activeElement !== document.body)) return;
  target.focus();
  if (target.value) target.select();
});

// The till's purchase key goes into the address, so that Back (which
// draws the page anew: pages behind login are not stored) gives the same
// form its same key, and an unsure second Enter replays the purchase.
document.addEventListener("DOMContentLoaded", () => {
  const key = document.querySelector("input[data-key-in-url]");
  if (!key) return;
  const url = new URL(window.location.href);
  if (url.searchParams.get("key") === key.value) return;
  url.searchParams.set("key", key.value);
  history.replaceState(history.state, "", url);
});

// The till works from the keyboard: arrow keys move between the search box
// and the members it found (htmx swaps the list in, so it is looked up on
// each key), and Escape leaves a member for the next customer.
document.addEventListener("keydown", (event) => {
  const search = document.querySelector("input[data-till-search]");
  if (!search || event.isComposing) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const results = [...document.querySelectorAll("a[data-till-result]")];
    const at = results.indexOf(document.activeElement);
    let next = null;
    if (event.target === search) {
      next = event.key === "ArrowDown" ? results[0] : null;
    } else if (at >= 0) {
      next = event.key === "ArrowDown" ? results[at + 1] : (results[at - 1] || search);
    }
    if (next) {
      next.focus();
      event.preventDefault();
    }
    return;
  }
  if (event.key === "Escape" && event.target !== search) {
    const next = document.querySelector("a[data-till-next]");
    if (next) window.location.assign(next.href);
  }
});

// Destructive forms ask first: data-confirm on the form (or its button)
// holds the question. One listener on the document, in the capture phase,
// sees every submit before htmx's own listener on the form, so forms
// swapped in later and htmx-driven ones are covered by the same refusal.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = (event.submitter && event.submitter.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
