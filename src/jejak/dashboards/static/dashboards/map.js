// The dashboards' venue map: points from GET /api/v1/dashboards/map, drawn as circle
// markers (no marker images to fetch) coloured by registration status or by usage.
// Each kecamatan is labelled where its venues are, inside a dashed line around them, so
// the map reads without tiles: with no tile server configured (JEJAK_MAP_TILE_URL) the
// background is plain, the markers, labels, scale, zoom and popups still work, and
// nothing is requested from a third party.
(function () {
  "use strict";
  var el = document.getElementById("jd-map");
  if (!el || typeof L === "undefined") return;

  var STATUS_COLOURS = {
    registered: "#8a94a0", requested: "#d4a106", under_review: "#d4a106",
    approved: "#b58900", rejected: "#c5221f", issued: "#1a73e8",
    installed: "#17692f", suspended: "#e37400", revoked: "#3c4043"
  };
  var USAGE_COLOURS = ["#c5221f", "#e37400", "#9bbf3b", "#17692f"];
  var labels = JSON.parse(document.getElementById("jd-status-labels").textContent);
  var days = Math.max(parseInt(el.dataset.days, 10) || 1, 1);
  // Kota Tangerang: where the map opens when no venue has coordinates.
  var map = L.map(el, { attributionControl: !!el.dataset.tiles }).setView([-6.178, 106.63], 12);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  var areas = L.layerGroup().addTo(map);
  var layer = L.layerGroup().addTo(map);
  var venues = [];

  function usageClass(v) {
    var perDay = v.checkins / days;
    if (v.checkins === 0) return 0;
    if (perDay < 1) return 1;
    if (perDay <= 10) return 2;
    return 3;
  }

  function popup(v) {
    // Built from text nodes: a venue's name is whatever its registrant typed.
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = el.dataset.venueUrl.replace("CODE", encodeURIComponent(v.short_code));
    link.textContent = v.name;
    var info = document.createElement("div");
    info.textContent = v.sector_name + " · " + (labels[v.status] || v.status) + " · " +
      v.checkins + " " + el.dataset.labelCheckins;
    box.appendChild(link);
    box.appendChild(info);
    return box;
  }

  // The convex hull of [lat, lng] points (Andrew's monotone chain), for a kecamatan's
  // outline: where its venues are, not its legal boundary.
  function hull(points) {
    var p = points.slice().sort(function (a, b) { return a[1] - b[1] || a[0] - b[0]; });
    function cross(o, a, b) { return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]); }
    function half(list) {
      var out = [];
      list.forEach(function (q) {
        while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], q) <= 0) out.pop();
        out.push(q);
      });
      out.pop();
      return out;
    }
    return half(p).concat(half(p.slice().reverse()));
  }

  // A kecamatan's risk zone (docs/zones.md) tints its outline and follows its name.
  var ZONE_COLOURS = { hijau: "#17692f", kuning: "#b8860b", oranye: "#c2570c", merah: "#8b1a14", abu: "#5f6b7a" };
  var zones = {};

  function drawAreas() {
    var groups = {};
    venues.forEach(function (v) {
      if (!v.kecamatan) return;
      if (!groups[v.kecamatan]) groups[v.kecamatan] = { name: v.kecamatan_name, points: [] };
      groups[v.kecamatan].points.push([v.latitude, v.longitude]);
    });
    var codes = Object.keys(groups).sort();
    codes.forEach(function (code) {
      var group = groups[code];
      var outline = hull(group.points);
      var zone = zones[code];
      var tint = ZONE_COLOURS[zone ? zone.colour : "abu"] || ZONE_COLOURS.abu;
      if (outline.length >= 3) {
        L.polygon(outline, {
          color: tint, weight: zone ? 2 : 1, dashArray: "4 4", fillColor: tint, fillOpacity: zone ? 0.12 : 0.06,
          interactive: false, className: "jd-area" + (zone ? " jd-zone-" + zone.zone : "")
        }).addTo(areas);
      }
      var lat = 0, lng = 0;
      group.points.forEach(function (q) { lat += q[0]; lng += q[1]; });
      // Built from a text node: a region's name comes from an imported file.
      var label = document.createElement("span");
      label.textContent = zone ? group.name + " · " + zone.label : group.name;
      L.marker([lat / group.points.length, lng / group.points.length], {
        icon: L.divIcon({ className: "jd-area-label", html: label, iconSize: [200, 20], iconAnchor: [100, 10] }),
        interactive: false, keyboard: false
      }).addTo(areas);
    });
    el.dataset.areas = String(codes.length);
  }

  function draw(mode) {
    layer.clearLayers();
    venues.forEach(function (v) {
      var colour = mode === "usage" ? USAGE_COLOURS[usageClass(v)] : STATUS_COLOURS[v.status] || "#8a94a0";
      L.circleMarker([v.latitude, v.longitude], {
        radius: 7, color: "#1d2430", weight: 1, fillColor: colour, fillOpacity: 0.9,
        className: "jd-marker jd-marker-" + v.status
      }).bindPopup(popup(v)).addTo(layer);
    });
    document.getElementById("jd-legend-status").hidden = mode === "usage";
    document.getElementById("jd-legend-usage").hidden = mode !== "usage";
  }

  function mode() {
    var checked = document.querySelector("input[name=jd-mode]:checked");
    return checked ? checked.value : "status";
  }

  document.querySelectorAll("input[name=jd-mode]").forEach(function (input) {
    input.addEventListener("change", function () { draw(mode()); });
  });

  // The API answers in the language asked for: the page's, not the browser's default.
  fetch(el.dataset.points, {
    credentials: "same-origin",
    headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang || "id" }
  })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (data) {
      venues = data.venues;
      zones = data.zones || {};
      drawAreas();
      draw(mode());
      if (venues.length) {
        map.fitBounds(L.latLngBounds(venues.map(function (v) { return [v.latitude, v.longitude]; })),
          { padding: [24, 24], maxZoom: 15, animate: false });
      }
      el.dataset.loaded = String(venues.length);
    })
    .catch(function () {
      var note = document.createElement("p");
      note.className = "errors";
      note.textContent = el.dataset.error;
      el.parentNode.insertBefore(note, el);
    });
})();
