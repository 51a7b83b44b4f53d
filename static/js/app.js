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
  flash.textContent = (found ? found.textContent : xhr.statusText || String(xhr.status)).trim();
  flash.hidden = false;
  flash.scrollIntoView({ block: "nearest" });
});
document.addEventListener("htmx:beforeRequest", () => {
  const flash = document.getElementById("flash");
  if (flash) {
    flash.hidden = true;
  }
});
