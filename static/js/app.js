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

// On a phone a table becomes one card per row (the CSS of `.table.stack`): each cell is
// labelled with its column's heading. Without this script the table scrolls in its region.
function stackTables(root) {
  for (const table of root.querySelectorAll("table.table:not([data-keep-table])")) {
    const heads = [];
    for (const th of table.querySelectorAll("thead tr:last-child th")) {
      const span = Number(th.getAttribute("colspan") || 1);
      for (let i = 0; i < span; i++) heads.push(th.textContent.trim());
    }
    for (const row of table.querySelectorAll("tbody tr, tfoot tr")) {
      let column = 0;
      for (const cell of row.children) {
        if (!cell.hasAttribute("data-label") && heads[column]) {
          cell.setAttribute("data-label", heads[column]);
        }
        column += Number(cell.getAttribute("colspan") || 1);
      }
    }
    table.classList.add("stack");
  }
}
document.addEventListener("DOMContentLoaded", () => stackTables(document));
document.addEventListener("htmx:afterSettle", (event) => stackTables(event.target.closest("table")?.parentElement || event.target));
