// The interactive map: upgrades the SVG fallback to Leaflet only once map tiles really load,
// so an offline phone keeps the plain map instead of an empty grey box. Needs, projects,
// shifts and areas are layers, switched by Leaflet's control and by the page's checkboxes.
(function () {
  "use strict";
  const box = document.querySelector("[data-map]");
  if (!box || !("IntersectionObserver" in window) || navigator.onLine === false) return;
  const SHAPES = { projects: "square", shifts: "triangle" };

  function load(tag, attrs) {
    return new Promise((resolve, reject) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.addEventListener("load", resolve);
      el.addEventListener("error", reject);
      document.head.appendChild(el);
    });
  }

  function line(props) {
    const item = document.createElement("div");
    const title = document.createElement(props.url ? "a" : "strong");
    title.textContent = props.title;
    if (props.url) title.href = props.url;
    const meta = document.createElement("span");
    meta.className = "muted";
    const words = props.layer === "needs"
      ? [props.category, props.priority_label, props.status_label] : [props.detail];
    meta.textContent = " · " + words.filter(Boolean).join(" · ");
    item.append(title, meta);
    return item;
  }

  function popup(group) {
    const wrap = document.createElement("div");
    for (const f of group) wrap.appendChild(line(f.properties));
    return wrap;
  }

  // Marks at one place are one mark with their count (the popup lists them all).
  function grouped(features) {
    const at = new Map();
    for (const f of features) {
      const [lon, lat] = f.geometry.coordinates;
      const key = lat.toFixed(5) + "," + lon.toFixed(5);
      if (!at.has(key)) at.set(key, []);
      at.get(key).push(f);
    }
    return [...at.values()];
  }

  function mark(L, layer, group) {
    const first = group[0].properties;
    const [lon, lat] = group[0].geometry.coordinates;
    const count = group.length;
    const unmet = group.some((f) => f.properties.status === "open" || f.properties.status === "partially_met");
    const shape = SHAPES[layer] || "dot";
    const fill = layer !== "needs" || unmet ? first.color : "#fff";
    const size = count > 1 ? 28 : 18;
    const h = size / 2;
    // Drawn as SVG attributes, not inline styles: the page's CSP allows no inline style.
    const body = shape === "square"
      ? '<rect x="2" y="2" width="' + (size - 4) + '" height="' + (size - 4) + '" fill="' + first.color + '" stroke="#fff" stroke-width="2"/>'
      : shape === "triangle"
        ? '<path d="M' + h + ' 1L' + (size - 1) + " " + (size - 1) + "H1Z" + '" fill="' + first.color + '" stroke="#fff" stroke-width="2"/>'
        : '<circle cx="' + h + '" cy="' + h + '" r="' + (h - 2) + '" fill="' + fill + '" stroke="' + first.color + '" stroke-width="3"/>';
    const ink = fill === "#fff" ? "#1b1f23" : "#fff";
    const label = count > 1
      ? '<text x="' + h + '" y="' + (h + (shape === "triangle" ? 7 : 4)) + '" text-anchor="middle" font-size="12" font-weight="700" font-family="sans-serif" fill="' + ink + '">' + count + "</text>"
      : "";
    const html = '<svg xmlns="http://www.w3.org/2000/svg" width="' + size + '" height="' + size + '" viewBox="0 0 ' + size + " " + size + '">' + body + label + "</svg>";
    // Projects up and right, shifts down and left: not hidden under the needs at one place.
    const shift = shape === "square" ? [-10, 10] : shape === "triangle" ? [10, -10] : [0, 0];
    const icon = L.divIcon({ className: "map-mark", html, iconSize: [size, size], iconAnchor: [h + shift[0], h + shift[1]] });
    return L.marker([lat, lon], { icon, title: first.title, keyboard: true }).bindPopup(() => popup(group));
  }

  function areas(L, features) {
    const group = L.layerGroup();
    for (const f of features) {
      const p = f.properties;
      if (f.geometry.type !== "Point") {
        L.geoJSON(f, { style: { color: "#4b5560", weight: p.level === "county" ? 2 : 1, fillOpacity: 0.04 } })
          .bindTooltip(p.title, { sticky: true }).addTo(group);
      }
      // County and township names always; villages' on hover, so the marks stay visible.
      if (p.level !== "village") {
        L.tooltip({ permanent: true, direction: "center", className: "area-name", interactive: false })
          .setLatLng(p.at).setContent(p.title).addTo(group);
      }
    }
    return group;
  }

  async function start() {
    const [data] = await Promise.all([
      fetch(box.dataset.points).then((r) => r.json()),
      load("link", { rel: "stylesheet", href: box.dataset.css }),
      load("script", { src: box.dataset.js }),
    ]);
    const L = window.L;
    const names = JSON.parse(box.dataset.layerNames || "{}");
    const live = document.createElement("div");
    live.className = "map-live";
    box.appendChild(live);
    const map = L.map(live, { scrollWheelZoom: false });
    const byLayer = {};
    for (const f of data.features) (byLayer[f.properties.layer] ||= []).push(f);
    const layers = {};
    for (const [name, features] of Object.entries(byLayer)) {
      layers[name] = name === "areas" ? areas(L, features) : L.featureGroup(grouped(features).map((g) => mark(L, name, g)));
      layers[name].addTo(map);
    }
    const all = L.featureGroup(Object.values(layers).filter((l) => l.getBounds));
    let bounds = all.getBounds();
    if (!bounds.isValid() && byLayer.areas) bounds = L.latLngBounds(byLayer.areas.map((f) => f.properties.at));
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1));
    else map.setView([20, 0], 2);
    const control = {};
    for (const name of Object.keys(layers)) control[names[name] || name] = layers[name];
    L.control.layers(null, control, { collapsed: false }).addTo(map);
    // The page's checkboxes and the control switch the same layers.
    const boxes = document.querySelectorAll(".map-layers input[name=layer]");
    for (const input of boxes) {
      input.addEventListener("change", () => {
        const layer = layers[input.value];
        if (!layer) return;
        if (input.checked) layer.addTo(map);
        else map.removeLayer(layer);
      });
    }
    map.on("overlayadd overlayremove", (e) => {
      for (const input of boxes) if (layers[input.value] === e.layer) input.checked = e.type === "overlayadd";
    });
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
