// Progressive enhancements only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// htmx does not swap a refusal (403, 404, 409, ...): show its message in place instead of
// failing silently. The server answers an htmx request with just the message block.
document.addEventListener("htmx:responseError", (event) => {
  const flash = document.getElementById("flash");
  const xhr = event.detail.xhr;
  if (!flash || !xhr) {
    return;
  }
  const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const found = doc.querySelector("[data-error-message]");
  const fallback = xhr.status >= 500 ? flash.dataset.serverError : xhr.statusText || String(xhr.status);
  showFlash(flash, found ? found.textContent : fallback);
});

// A request that never got an answer (offline, timeout) must not look like success.
for (const name of ["htmx:sendError", "htmx:timeout"]) {
  document.addEventListener(name, () => {
    const flash = document.getElementById("flash");
    if (flash) {
      showFlash(flash, flash.dataset.offline);
    }
  });
}

function showFlash(flash, text) {
  flash.textContent = (text || "").trim();
  flash.hidden = false;
  flash.scrollIntoView({ block: "nearest" });
}
document.addEventListener("htmx:beforeRequest", () => {
  const flash = document.getElementById("flash");
  if (flash) {
    flash.hidden = true;
  }
});
