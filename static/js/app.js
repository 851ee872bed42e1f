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
