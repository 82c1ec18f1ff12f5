// The dashboards' venue map: points from GET /api/v1/dashboards/map, drawn as circle
// markers (no marker images to fetch) coloured by registration status or by usage.
// With no tile server configured the map is a plain background: the markers, zoom and
// popups still work, and nothing is requested from a third party.
(function () {
  "use strict";
  var el = document.getElementById("jd-map");
  if (!el || typeof L === "undefined") return;

  var STATUS_COLOURS = {
    registered: "#8a94a0", requested: "#d4a106", under_review: "#d4a106",
    approved: "#b58900", rejected: "#c5221f", issued: "#1a73e8",
    installed: "#1e8e3e", suspended: "#e37400", revoked: "#3c4043"
  };
  var USAGE_COLOURS = ["#c5221f", "#e37400", "#9bbf3b", "#1e8e3e"];
  var labels = JSON.parse(document.getElementById("jd-status-labels").textContent);
  var days = Math.max(parseInt(el.dataset.days, 10) || 1, 1);
  // Kota Tangerang: where the map opens when no venue has coordinates.
  var map = L.map(el, { attributionControl: !!el.dataset.tiles }).setView([-6.178, 106.63], 12);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
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

  fetch(el.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (data) {
      venues = data.venues;
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
