// The help form's map point: "use my location" and a map loaded only when asked for, so a
// weak connection downloads nothing it does not use. Without JavaScript the two number
// fields stay as they are.
(function () {
  "use strict";
  const box = document.querySelector("[data-point-picker]");
  if (!box) return;
  const lat = box.querySelector("[name=lat]");
  const lon = box.querySelector("[name=lon]");
  const status = box.querySelector("[data-point-status]");
  const tools = box.querySelector("[data-point-tools]");
  tools.hidden = false;

  function set(la, lo) {
    lat.value = la.toFixed(5);
    lon.value = lo.toFixed(5);
    status.textContent = box.dataset.chosen + " " + lat.value + ", " + lon.value;
  }

  function load(tag, attrs) {
    return new Promise((resolve, reject) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.addEventListener("load", resolve);
      el.addEventListener("error", reject);
      document.head.appendChild(el);
    });
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
    try {
      await Promise.all([
        load("link", { rel: "stylesheet", href: box.dataset.css }),
        load("script", { src: box.dataset.js }),
      ]);
    } catch (e) {
      status.textContent = box.dataset.failed;
      return;
    }
    const L = window.L;
    const holder = document.createElement("div");
    holder.className = "point-map";
    box.appendChild(holder);
    const start = lat.value && lon.value ? [+lat.value, +lon.value] : [+box.dataset.lat, +box.dataset.lon];
    const map = L.map(holder).setView(start, lat.value ? 15 : 11);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 18 }).addTo(map);
    let marker = null;
    map.on("click", (e) => {
      if (marker) marker.setLatLng(e.latlng);
      else marker = L.circleMarker(e.latlng, { radius: 8 }).addTo(map);
      set(e.latlng.lat, e.latlng.lng);
    });
  });
})();
