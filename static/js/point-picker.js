// A map point for any form with latitude and longitude fields ([data-point-picker]): "use my
// location" and a map loaded only when asked for, so a weak connection downloads nothing it
// does not use. Without JavaScript the two number fields stay as they are, typed by hand.
(function () {
  "use strict";

  function load(tag, attrs) {
    return new Promise((resolve, reject) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.addEventListener("load", resolve);
      el.addEventListener("error", reject);
      document.head.appendChild(el);
    });
  }

  let leaflet = null;
  function leafletFrom(box) {
    if (window.L) return Promise.resolve(window.L);
    leaflet = leaflet || Promise.all([
      load("link", { rel: "stylesheet", href: box.dataset.css }),
      load("script", { src: box.dataset.js }),
    ]).then(() => window.L);
    return leaflet;
  }

  async function extent(box) {
    const form = box.closest("form");
    const chosen = form && form.querySelector("[name=incident_id]");
    const incident = box.dataset.incident || (chosen && chosen.value) || "";
    const url = box.dataset.extent + (incident ? "?incident_id=" + encodeURIComponent(incident) : "");
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" } });
      if (!answer.ok) return null;
      return (await answer.json()).bounds;
    } catch (e) {
      return null;
    }
  }

  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    const lat = box.querySelector("[name=lat]");
    const lon = box.querySelector("[name=lon]");
    const status = box.querySelector("[data-point-status]");
    const tools = box.querySelector("[data-point-tools]");
    if (!lat || !lon || !tools) return;
    tools.hidden = false;
    let marker = null;
    let map = null;

    function set(la, lo) {
      lat.value = la.toFixed(5);
      lon.value = lo.toFixed(5);
      status.textContent = box.dataset.chosen + " " + lat.value + ", " + lon.value;
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      if (map) place([la, lo]);
    }

    function place(at) {
      if (marker) marker.setLatLng(at);
      else marker = window.L.circleMarker(at, { radius: 8 }).addTo(map);
    }

    box.querySelector("[data-locate]").addEventListener("click", () => {
      if (!navigator.geolocation) return;
      status.textContent = box.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        (pos) => set(pos.coords.latitude, pos.coords.longitude),
        () => { status.textContent = box.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000 },
      );
    });

    box.querySelector("[data-open-map]").addEventListener("click", async (event) => {
      event.target.disabled = true;
      let L;
      try {
        L = await leafletFrom(box);
      } catch (e) {
        status.textContent = box.dataset.failed;
        return;
      }
      const holder = document.createElement("div");
      holder.className = "point-map";
      box.appendChild(holder);
      const typed = lat.value !== "" && lon.value !== "";
      const known = box.dataset.lat !== undefined && box.dataset.lat !== "";
      map = L.map(holder);
      // Where the map stands, for whoever inspects the page (and the browser tests).
      map.on("moveend", () => {
        const c = map.getCenter();
        holder.dataset.centre = c.lat.toFixed(4) + "," + c.lng.toFixed(4);
      });
      if (typed) {
        map.setView([+lat.value, +lon.value], 15);
        place([+lat.value, +lon.value]);
      } else if (known) {
        map.setView([+box.dataset.lat, +box.dataset.lon], 11);
      } else {
        // Nothing typed: open on the incident's areas (the form's chosen incident, if any).
        const bounds = await extent(box);
        if (bounds) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
        else map.setView([20, 0], 2);
      }
      L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 18 }).addTo(map);
      map.on("click", (e) => set(e.latlng.lat, e.latlng.lng));
      // Typed coordinates move the point too.
      for (const input of [lat, lon]) {
        input.addEventListener("input", () => {
          if (lat.value !== "" && lon.value !== "") place([+lat.value, +lon.value]);
        });
      }
    });
  }

  function all(root) {
    for (const box of root.querySelectorAll("[data-point-picker]")) setUp(box);
  }
  all(document);
  // Forms that htmx swaps in (e.g. after a refused submit) get their tools again.
  document.addEventListener("htmx:afterSettle", (event) => all(event.target));
})();
