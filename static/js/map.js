// The interactive map: upgrades the SVG fallback to Leaflet only once map tiles really load,
// so an offline phone keeps the plain map instead of an empty grey box.
(function () {
  "use strict";
  const box = document.querySelector("[data-map]");
  if (!box || !("IntersectionObserver" in window) || navigator.onLine === false) return;

  function load(tag, attrs) {
    return new Promise((resolve, reject) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.addEventListener("load", resolve);
      el.addEventListener("error", reject);
      document.head.appendChild(el);
    });
  }

  function popup(props) {
    const wrap = document.createElement("div");
    const title = document.createElement(props.url ? "a" : "strong");
    title.textContent = props.title;
    if (props.url) title.href = props.url;
    const meta = document.createElement("div");
    meta.textContent = [props.category, props.priority_label, props.status_label].join(" · ");
    wrap.append(title, meta);
    return wrap;
  }

  async function start() {
    const [data] = await Promise.all([
      fetch(box.dataset.points).then((r) => r.json()),
      load("link", { rel: "stylesheet", href: box.dataset.css }),
      load("script", { src: box.dataset.js }),
    ]);
    const L = window.L;
    const live = document.createElement("div");
    live.className = "map-live";
    box.appendChild(live);
    const map = L.map(live, { scrollWheelZoom: false });
    const layer = L.geoJSON(data, {
      pointToLayer: (feature, latlng) => {
        const p = feature.properties;
        const unmet = p.status === "open" || p.status === "partially_met";
        return L.circleMarker(latlng, {
          radius: 6, color: p.color, weight: 2, fillColor: unmet ? p.color : "#fff", fillOpacity: 1,
        }).bindPopup(() => popup(p));
      },
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1));
    const tiles = L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 18 });
    tiles.once("tileload", () => {
      live.classList.add("ready");
      map.invalidateSize();
    });
    tiles.addTo(map);
  }

  const watcher = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      watcher.disconnect();
      start().catch(() => { /* the SVG map stays: nothing is lost */ });
    }
  }, { rootMargin: "200px" });
  watcher.observe(box);
})();
