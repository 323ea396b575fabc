/* Pockets map client: districts drawn once per level, re-coloured from numbers.
 *
 * The same file runs inside the dashboard (ui/mapclient/index.html, a Streamlit component) and
 * inlined in the standalone HTML map. It needs Leaflet (window.L) and exposes window.PK:
 *
 *   PK.create(element, {large})   the Leaflet map (canvas renderer, no tiles)
 *   PK.setWorld(topojson)         neighbouring countries (world-atlas TopoJSON), drawn under the districts
 *   PK.setGeometry(geometry)      the level: codes, names, encoded rings, label points, population,
 *                                 region outlines, towns, initial bounds (sent once per level)
 *   PK.update(style)              classes, values, ranks, outlines and legend (sent on every change)
 *   PK.setPoints(points)          the point layers' points (sent once per level), drawn clustered with
 *                                 supercluster (window.Supercluster) when the user turns them on
 *   PK.onSelect = fn(code)        called when a district is clicked or found with the search box
 *
 * Everything user-provided (names, labels) reaches the page as text (textContent) or through
 * PK.esc; nothing is parsed as HTML.
 */
(function (global) {
    "use strict";
    var PK = global.PK = global.PK || {};
    var L = global.L;

    // ------------------------------------------------------------------ decoding
    /** A polyline-encoded ring (x, y deltas in 1e-5 degrees) as [lon, lat] pairs, closed. */
    PK.decode = function (s) {
        var pts = [], i = 0, x = 0, y = 0, n = s.length, r, sh, b;
        while (i < n) {
            r = 0; sh = 0; do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
            x += (r & 1) ? ~(r >> 1) : (r >> 1);
            r = 0; sh = 0; do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
            y += (r & 1) ? ~(r >> 1) : (r >> 1);
            pts.push([x / 1e5, y / 1e5]);
        }
        if (pts.length) { pts.push(pts[0]); }
        return pts;
    };

    /** GeoJSON features (properties.code only) of encoded multipolygons. */
    PK.features = function (codes, geoms) {
        return codes.map(function (code, i) {
            return {type: "Feature", properties: {code: code}, geometry: {type: "MultiPolygon",
                coordinates: geoms[i].map(function (poly) { return poly.map(PK.decode); })}};
        });
    };

    /** A typed array from little-endian bytes: base64 text (the standalone file) or raw bytes. */
    PK.b64 = function (text, Type) {
        if (text instanceof Uint8Array) { return new Type(text.slice().buffer); }  // a copy, aligned
        var bin = atob(text || ""), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
        return new Type(bytes.buffer);
    };

    /** Text made safe to place inside HTML. */
    PK.esc = function (value) {
        return String(value).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
        });
    };

    /** Lower case without accents, for search. */
    PK.fold = function (value) {
        var arabic = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ـ": ""};
        return String(value).normalize("NFKD").replace(/[\u0300-\u036f\u064b-\u065f\u0670]/g, "")
            .replace(/[أإآٱىةؤئـ]/g, function (c) { return arabic[c]; }).toLowerCase().replace(/\s+/g, " ").trim();
    };

    /** GeoJSON features of one object of a TopoJSON topology (quantized or not). */
    PK.topoFeatures = function (topo, name, shift) {
        var tf = topo.transform, arcs = topo.arcs.map(function (arc) {
            var x = 0, y = 0;
            return arc.map(function (p) {
                if (tf) { x += p[0]; y += p[1]; return [x * tf.scale[0] + tf.translate[0], y * tf.scale[1] + tf.translate[1]]; }
                return [p[0], p[1]];
            });
        });
        function ring(indices) {
            var out = [];
            indices.forEach(function (i) {
                var a = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
                a.forEach(function (p, k) { if (k > 0 || !out.length) { out.push(p); } });
            });
            return shift && out.length && out[0][0] < 0 ? out.map(function (p) { return [p[0] + 360, p[1]]; }) : out;
        }
        return topo.objects[name].geometries.filter(function (g) { return g.arcs; }).map(function (g) {
            var polys = g.type === "Polygon" ? [g.arcs] : g.arcs;
            return {type: "Feature", properties: {name: (g.properties || {}).name || ""},
                    geometry: {type: "MultiPolygon", coordinates: polys.map(function (p) { return p.map(ring); })}};
        });
    };

    PK.hatch = function (fill, line) {
        var c = document.createElement("canvas"); c.width = 8; c.height = 8;
        var ctx = c.getContext("2d");
        ctx.fillStyle = fill; ctx.fillRect(0, 0, 8, 8);
        ctx.strokeStyle = line; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(-2, 10); ctx.lineTo(10, -2); ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
        ctx.moveTo(6, 10); ctx.lineTo(10, 6); ctx.stroke();
        return ctx.createPattern(c, "repeat");
    };

    function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined && text !== null) { e.textContent = text; }
        return e;
    }

    /** The client's words from the style (the chosen language), English otherwise. */
    var ENGLISH = {no_data: "no data", rank: "rank {r} of {n}", not_ranked: "not ranked", score: "score",
                   contributions: "main contributions: {names}", top: "top {n} by rank (numbered)",
                   selected: "selected", uncertain: "top place uncertain ({n})", search: "Find a district…",
                   top_list: "Top {n}", show: "On the map", towns: "Largest towns ({n})",
                   points: "{label}: {n} points drawn", points_of: "{label}: {n} of {rows} rows drawn"};
    function T(key, values) {
        var text = (PK.style && PK.style.text && PK.style.text[key]) || ENGLISH[key];
        Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
        return text;
    }
    PK.T = T;

    function fmt(v, d) {
        if (v === null || v === undefined || !isFinite(v)) { return T("no_data"); }
        return Number(v).toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
    }

    // ------------------------------------------------------------------ the map
    var NODATA = "#d9d9d9", NODATA_LINE = "#8c8c8c";
    var OUTLINE = {
        top: [{color: "#ffffff", weight: 5.5}, {color: "#111111", weight: 2.6}],
        uncertain: [{color: "#7b3294", weight: 1.6, dashArray: "4 4"}],
        selected: [{color: "#000000", weight: 7}, {color: "#00e5ff", weight: 3}]
    };

    PK.create = function (element, options) {
        options = options || {};
        PK.large = !!options.large;
        if (PK.large) { element.classList.add("pk-large"); }
        var map = L.map(element, {preferCanvas: true, zoomSnap: 0.25, zoomControl: true, attributionControl: false,
                                  worldCopyJump: false});
        L.control.scale({imperial: false}).addTo(map);
        map.createPane("pkWorld").style.zIndex = 350;
        map.createPane("pkRegions").style.zIndex = 420;
        map.createPane("pkOutlines").style.zIndex = 430;
        map.getPane("pkRegions").style.pointerEvents = "none";
        map.getPane("pkOutlines").style.pointerEvents = "none";
        PK.canvas = L.canvas({padding: 0.3});
        PK.outlineCanvas = L.canvas({padding: 0.3, pane: "pkOutlines"});
        PK.regionCanvas = L.canvas({padding: 0.3, pane: "pkRegions"});
        PK.fillNoData = PK.hatch(NODATA, NODATA_LINE);
        PK.map = map;
        map.createPane("pkPoints").style.zIndex = 440;
        map.getPane("pkPoints").style.pointerEvents = "none";  // districts stay clickable; clusters are DOM
        PK.pointCanvas = L.canvas({padding: 0.3, pane: "pkPoints"});
        PK.pointLayer = L.layerGroup().addTo(map);
        PK.labels = L.layerGroup().addTo(map);
        PK.outlines = L.layerGroup().addTo(map);
        PK.showTowns = true;
        PK.showPoints = false;
        map.on("moveend zoomend", function () { PK.placeLabels(); PK.drawPoints(); });
        map.setView([0, 0], 2);
        searchControl().addTo(map);
        return map;
    };

    PK.setWorld = function (topo) {
        if (!PK.map || !topo) { return; }
        PK.worldTopo = topo;
        if (!PK.geometry) { return; }  // drawn with the districts, once the view is theirs
        if (PK.world) { PK.world.remove(); }
        var wrap = !!(PK.geometry && PK.geometry.wrap);  // rings west of 0 move by +360, as the districts did
        PK.world = L.geoJSON(PK.topoFeatures(topo, "countries", wrap), {
            pane: "pkWorld", interactive: false, renderer: L.canvas({pane: "pkWorld"}),
            style: {color: "#9aa3ad", weight: 0.8, fillColor: "#f7f7f4", fillOpacity: 1, opacity: 1}
        }).addTo(PK.map);
        PK.worldWrap = wrap;
    };

    PK.setGeometry = function (geo) {
        var map = PK.map;
        if (PK.districts) { PK.districts.remove(); }
        if (PK.regions) { PK.regions.remove(); }
        PK.geometry = geo;
        PK.style = null;
        PK.byCode = {};
        PK.index = {};
        PK.layers = new Array(geo.codes.length);
        geo.codes.forEach(function (c, i) { PK.index[c] = i; });
        PK.folded = geo.names.map(PK.fold);
        PK.foldedOther = (geo.other_names || []).map(PK.fold);
        // The view first: a layer is projected when it is added and again when the view changes.
        var b = geo.view_bounds;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [6, 6], animate: false});
        var weight = geo.codes.length > 300 ? 0.5 : 0.8;
        PK.base = {line: "#5b5b5b", weight: weight, opacity: geo.opacity || 0.95};
        PK.districts = L.geoJSON(PK.features(geo.codes, geo.geoms), {
            renderer: PK.canvas,
            style: {fillColor: PK.fillNoData, fillOpacity: PK.base.opacity, color: PK.base.line, weight: weight, opacity: 0.8},
            onEachFeature: function (f, l) {
                var i = PK.index[f.properties.code];
                l._pkI = i;
                PK.layers[i] = l;
                PK.byCode[f.properties.code] = l;
                l.bindTooltip("", {sticky: true, className: "pk-tip", direction: "top", offset: [0, -8]});
                l.on("mouseover", function () {
                    l.setTooltipContent(PK.tipFor(f.properties.code));
                    l.setStyle({weight: PK.base.weight + 1.5, color: "#222", opacity: 1});
                });
                l.on("mouseout", function () { if (l._pkStyle) { l.setStyle(l._pkStyle); } });
                l.on("click", function () { PK.choose(f.properties.code, "click"); });
            }
        }).addTo(map);
        PK.shown = geo.codes.length;
        if (geo.regions && geo.regions.codes.length) {
            var feats = PK.features(geo.regions.codes, geo.regions.geoms);
            PK.regions = L.layerGroup([
                L.geoJSON(feats, {renderer: PK.regionCanvas, interactive: false,
                                  style: {color: "#ffffff", weight: PK.large ? 3.5 : 2.5, fill: false, opacity: 1}}),
                L.geoJSON(feats, {renderer: PK.regionCanvas, interactive: false,
                                  style: {color: "#262626", weight: PK.large ? 1.8 : 1.2, fill: false, opacity: 1}})
            ]).addTo(map);
        }
        if (PK.worldTopo && (!PK.world || geo.wrap !== PK.worldWrap)) { PK.setWorld(PK.worldTopo); }
        PK.geometryLoaded = (PK.geometryLoaded || 0) + 1;
        drawOverlays();
    };

    /** Tooltip HTML of a district from the current numbers (every name and label escaped). */
    PK.tipFor = function (code) {
        var geo = PK.geometry, s = PK.style, i = PK.index[code];
        if (i === undefined) { return ""; }
        var parts = ['<div class="pk-name">' + PK.esc(geo.names[i]) + "</div>"];
        if (geo.parents && geo.parents[i]) { parts.push('<div class="pk-in">' + PK.esc(geo.parents[i]) + "</div>"); }
        if (!s) { return parts.join(""); }
        var rank = s._rank ? s._rank[i] : 0;
        parts.push("<div>" + PK.esc(rank ? T("rank", {r: rank, n: s.ranked}) : T("not_ranked")) + "</div>");
        var c = s._cls[i], text;
        if (s.categorical) { text = c >= 0 ? s.legend.labels[c] : T("no_data"); }
        else { text = fmt(s._value ? s._value[i] : NaN, s.decimals); }
        parts.push("<div>" + PK.esc(s.label) + ": " + PK.esc(text) + "</div>");
        if (s._score) {
            var sc = s._score[i];
            parts.push("<div>" + PK.esc(T("score") + ": " + (sc === 65535 ? T("no_data") : fmt(sc / 100, 1))) + "</div>");
        }
        if (s._contrib && s.contrib_labels) {
            var names = [];
            for (var k = 0; k < 3; k++) {
                var j = s._contrib[i * 3 + k];
                if (j !== 255) { names.push(s.contrib_labels[j]); }
            }
            if (names.length) {
                parts.push('<div class="pk-extra">' + PK.esc(T("contributions", {names: names.join(", ")})) + "</div>");
            }
        }
        return parts.join("");
    };

    PK.update = function (s) {
        var geo = PK.geometry;
        if (!geo || s.n !== geo.codes.length) { PK.pending = s; return false; }
        s._cls = PK.b64(s.cls, Int8Array);
        s._value = s.value ? PK.b64(s.value, Float32Array) : null;
        s._rank = s.rank ? PK.b64(s.rank, s.rank_bytes === 4 ? Uint32Array : Uint16Array) : null;
        s._score = s.score ? PK.b64(s.score, Uint16Array) : null;
        s._contrib = s.contrib ? PK.b64(s.contrib, Uint8Array) : null;
        var previous = PK.style;
        PK.style = s;
        var shown = 0, group = PK.districts;
        for (var i = 0; i < PK.layers.length; i++) {
            var l = PK.layers[i], c = s._cls[i];
            if (!l) { continue; }
            if (c === -2) {
                if (l._map) { group.removeLayer(l); }
                continue;
            }
            shown++;
            var fill = c === -1 ? PK.fillNoData : s.colours[c];
            if (!l._pkStyle || l._pkStyle.fillColor !== fill) {
                l._pkStyle = {fillColor: fill, fillOpacity: PK.base.opacity, color: PK.base.line,
                              weight: PK.base.weight, opacity: 0.8};
                l.setStyle(l._pkStyle);
            }
            if (!l._map) { group.addLayer(l); }
        }
        var filterChanged = previous && shown !== PK.shown;
        PK.shown = shown;
        if (PK.searchInput) { PK.searchInput.placeholder = T("search"); }
        drawOutlines(s);
        drawLegend(s);
        drawTopList(s);
        drawOverlays();  // its words in the chosen language
        PK.restyled = (PK.restyled || 0) + 1;
        var target = s.focus >= 0 ? s.focus : -1;
        if (target >= 0 && (!previous || previous.focus !== s.focus)) {
            PK.frameWithNeighbours(geo.codes[target]);
        } else if (s.selected >= 0 && previous && previous.selected !== s.selected && !s.no_zoom) {
            PK.zoomTo(geo.codes[s.selected], 2.5);
        } else if (filterChanged || (!previous && shown < geo.codes.length)) {
            var b = group.getBounds();
            if (b.isValid()) { PK.map.fitBounds(b, {padding: [8, 8], animate: false}); }
        }
        PK.placeLabels();
        return true;
    };

    function outlineLayers(indices, strokes) {
        var out = [];
        strokes.forEach(function (st) {
            indices.forEach(function (i) {
                var l = PK.layers[i];
                if (!l) { return; }
                out.push(L.polygon(l.getLatLngs(), {renderer: PK.outlineCanvas, interactive: false, fill: false,
                    color: st.color, weight: st.weight * (PK.large ? 1.4 : 1), opacity: 1, dashArray: st.dashArray || null}));
            });
        });
        return out;
    }

    function drawOutlines(s) {
        PK.outlines.clearLayers();
        var layers = outlineLayers(s.top || [], OUTLINE.top)
            .concat(outlineLayers(s.uncertain || [], OUTLINE.uncertain))
            .concat(outlineLayers(s.selected >= 0 ? [s.selected] : [], OUTLINE.selected));
        layers.forEach(function (l) { PK.outlines.addLayer(l); });
    }

    function drawLegend(s) {
        if (PK.legend) { PK.legend.remove(); }
        var lg = s.legend;
        PK.legend = L.control({position: "bottomright"});
        PK.legend.onAdd = function () {
            var div = el("div", "pk-legend");
            div.setAttribute("role", "region");
            div.setAttribute("aria-label", "Legend");
            div.appendChild(el("div", "pk-title", lg.title));
            if (lg.direction) { div.appendChild(el("div", "pk-direction", lg.direction)); }
            lg.order.forEach(function (c) {
                var row = el("div", "pk-row"), sw = el("span", "pk-swatch");
                sw.style.background = s.colours[c];
                row.appendChild(sw);
                row.appendChild(el("span", "", lg.labels[c]));
                row.appendChild(el("span", "pk-n", "(" + lg.counts[c] + ")"));
                div.appendChild(row);
            });
            var nd = el("div", "pk-row");
            nd.appendChild(el("span", "pk-swatch pk-nodata"));
            nd.appendChild(el("span", "", T("no_data")));
            nd.appendChild(el("span", "pk-n", "(" + lg.missing + ")"));
            div.appendChild(nd);
            var keys = [];
            if ((s.top || []).length) { keys.push(["pk-key-top", T("top", {n: s.top.length})]); }
            if (s.selected >= 0) { keys.push(["pk-key-selected", T("selected")]); }
            if ((s.uncertain || []).length) {
                keys.push(["pk-key-uncertain", T("uncertain", {n: s.uncertain.length}), lg.uncertain_help]);
            }
            if (keys.length) { div.appendChild(el("div", "pk-sep")); }
            keys.forEach(function (k) {
                var row = el("div", "pk-row");
                if (k[2]) { row.title = k[2]; }
                row.appendChild(el("span", "pk-line " + k[0]));
                row.appendChild(el("span", "", k[1]));
                div.appendChild(row);
            });
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        PK.legend.addTo(PK.map);
    }

    function drawTopList(s) {
        if (PK.topList) { PK.topList.remove(); PK.topList = null; }
        var top = s.top || [];
        if (!top.length || s.hide_top_list) { return; }
        PK.topList = L.control({position: "topright"});
        PK.topList.onAdd = function () {
            var box = el("details", "pk-toplist");
            box.open = PK.topListClosed === undefined ? !!s.top_list_open : !PK.topListClosed;  // closed: the map first
            box.addEventListener("toggle", function () { PK.topListClosed = !box.open; });
            box.appendChild(el("summary", "", T("top_list", {n: top.length})));
            var ol = el("ol");
            top.forEach(function (i) {
                var li = el("li"), a = el("a", "", PK.geometry.names[i]);
                a.href = "#";
                a.setAttribute("data-code", PK.geometry.codes[i]);
                a.addEventListener("click", function (ev) { ev.preventDefault(); PK.choose(PK.geometry.codes[i], "list"); });
                li.value = s._rank ? s._rank[i] : 0;
                li.appendChild(a);
                ol.appendChild(li);
            });
            box.appendChild(ol);
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
        };
        PK.topList.addTo(PK.map);
    }

    // ------------------------------------------------------------------ labels
    /** Rank numbers of the top districts and names, placed so that no two labels overlap. */
    PK.placeLabels = function () {
        var geo = PK.geometry, s = PK.style, map = PK.map;
        if (!geo || !map) { return; }
        PK.labels.clearLayers();
        var size = map.getSize(), taken = [], placed = 0, font = PK.large ? 15 : 11;
        var view = map.getBounds().pad(0.02);
        function fits(box) {
            if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { return false; }
            for (var k = 0; k < taken.length; k++) {
                var t = taken[k];
                if (box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1]) { return false; }
            }
            return true;
        }
        function put(at, text, cls, w, h, fromLeft) {
            var ll = L.latLng(at[0], at[1]);
            if (!view.contains(ll)) { return false; }
            var p = map.latLngToContainerPoint(ll), x0 = fromLeft ? p.x - 5 : p.x - w / 2 - 2;
            var box = [x0, p.y - h / 2 - 1, x0 + w + 4, p.y + h / 2 + 1];
            if (!fits(box)) { return false; }
            taken.push(box);
            var span = el("span", cls, text);
            L.marker(ll, {interactive: false, keyboard: false,
                icon: L.divIcon({className: "pk-label", html: span, iconSize: null})}).addTo(PK.labels);
            placed++;
            return true;
        }
        var width = function (text) { return text.length * font * 0.58 + 4; };
        // 1. rank numbers of the top districts (always, they are what the map is read for)
        var ranked = {};
        if (s && s.top) {
            s.top.forEach(function (i) {
                var r = s._rank ? s._rank[i] : 0, d = PK.large ? 26 : 20;
                ranked[i] = true;
                var ll = L.latLng(geo.at[i][0], geo.at[i][1]);
                if (!view.contains(ll)) { return; }
                var p = map.latLngToContainerPoint(ll);
                taken.push([p.x - d / 2, p.y - d / 2, p.x + d / 2, p.y + d / 2]);
                var badge = el("span", "pk-rank", String(r));
                badge.setAttribute("data-code", geo.codes[i]);
                L.marker(ll, {interactive: false, keyboard: false,
                    icon: L.divIcon({className: "pk-label", html: badge, iconSize: null})}).addTo(PK.labels);
            });
        }
        var budget = Math.max(12, Math.round(size.x * size.y / 9000));
        // 2. the district in focus (workshop), large, then the names of the top districts under their rank
        //    numbers, in rank order (clear of the badge: half of it, half of the name and a gap below)
        var badge = PK.large ? 26 : 20;
        var topOrder = (s && s.top) ? s.top.slice() : [];
        if (s && s.focus >= 0) {
            topOrder = [s.focus].concat(topOrder.filter(function (i) { return i !== s.focus; }));
        }
        topOrder.forEach(function (i) {
            var l = PK.layers[i];
            if (!l || !l._map) { return; }
            var ll = L.latLng(geo.at[i][0], geo.at[i][1]);
            if (!view.contains(ll)) { return; }
            var focus = s.focus === i, size = focus ? Math.round(font * 1.5) : font;
            var p = map.latLngToContainerPoint(ll), dy = ranked[i] ? badge / 2 + (size + 2) / 2 + 3 : 0;
            var at = map.containerPointToLatLng([p.x, p.y + dy]);
            put([at.lat, at.lng], geo.names[i], focus ? "pk-name-label pk-top-name pk-focus-name" : "pk-name-label pk-top-name",
                width(geo.names[i]) * size / font, size + 2);
        });
        // 3. the largest towns (a dot at the town, its name to the right)
        var towns = 0, townNames = {};
        if (PK.showTowns) {
            (geo.towns || []).forEach(function (t) {
                if (placed < budget && put(t.at, t.name, "pk-town", width(t.name) + 8, font + 2, true)) {
                    towns++;
                    townNames[t.name] = true;
                }
            });
        }
        PK.townCount = towns;
        // 4. names of the regions drawn over a finer level, then district names, most populous first
        if (geo.regions && geo.regions.at) {
            geo.regions.names.forEach(function (n, k) {
                if (placed < budget) { put(geo.regions.at[k], n, "pk-region-name", width(n) * 1.1, font + 4); }
            });
        }
        var order = geo.order || [], tried = 0;
        for (var k = 0; k < order.length && placed < budget && tried < 4000; k++) {
            var i = order[k], l = PK.layers[i];
            if (!l || !l._map || ranked[i]) { continue; }
            var ll = L.latLng(geo.at[i][0], geo.at[i][1]);
            if (!view.contains(ll)) { continue; }
            tried++;
            // a name only where the district is big enough on screen to carry it
            var b = l.getBounds(), sw = map.latLngToContainerPoint(b.getSouthWest()), ne = map.latLngToContainerPoint(b.getNorthEast());
            var n = geo.names[i], w = width(n);
            if (townNames[n] || Math.abs(ne.x - sw.x) < Math.min(w, 60) * 0.6) { continue; }  // a town says it already
            put(geo.at[i], n, "pk-name-label", w, font + 2);
        }
        PK.labelCount = placed;
    };

    // ------------------------------------------------------------------ points, clustered
    var POINT_COLOURS = ["#1d4f91", "#0b6e4f", "#8c2d04", "#5e3c99"];

    /** The point layers' points (``{groups: [{label, n, rows, pts}], wrap}``), indexed for clustering. */
    PK.setPoints = function (payload) {
        PK.points = null;
        if (payload && payload.groups && global.Supercluster) {
            PK.points = payload.groups.map(function (g, k) {
                return {label: g.label, layer: g.layer, n: g.n, rows: g.rows, pts: g.pts, index: null,
                        colour: POINT_COLOURS[k % POINT_COLOURS.length], wrap: !!payload.wrap};
            });
        }
        drawOverlays();
        PK.drawPoints();
    };

    /** A group's cluster index, built the first time its points are shown (100,000 points: about a second). */
    function clusterIndex(g) {
        if (!g.index) {
            var pts = g.pts ? PK.decode(g.pts) : [];
            pts.pop();  // PK.decode closes rings; a list of points is not one
            g.index = new global.Supercluster({radius: PK.large ? 96 : 80, maxZoom: 14, minPoints: 2});
            g.index.load(pts.map(function (p) {
                return {type: "Feature", properties: {}, geometry: {type: "Point", coordinates: p}};
            }));
        }
        return g.index;
    }

    /** Clusters (a disc with its count; a click zooms in until it splits) and single points of the view. */
    PK.drawPoints = function () {
        if (!PK.pointLayer) { return; }
        PK.pointLayer.clearLayers();
        PK.pointsDrawn = {clusters: 0, markers: 0, points: 0};
        if (!PK.points || !PK.showPoints) { return; }
        var map = PK.map, b = map.getBounds().pad(0.1), zoom = Math.max(0, Math.floor(map.getZoom()));
        var west = b.getWest(), east = b.getEast();
        var box = east - west >= 360 ? [-180, b.getSouth(), 180, b.getNorth()]
            : [west > 180 ? west - 360 : west, Math.max(b.getSouth(), -90), east > 180 ? east - 360 : east, Math.min(b.getNorth(), 90)];
        var radius = PK.large ? 5 : 3.5;
        PK.points.forEach(function (g) {
            clusterIndex(g).getClusters(box, zoom).forEach(function (f) {
                var c = f.geometry.coordinates, lon = g.wrap && c[0] < 0 ? c[0] + 360 : c[0], ll = L.latLng(c[1], lon);
                if (f.properties.cluster) {
                    var count = f.properties.point_count, d = Math.round((PK.large ? 30 : 22) + 7 * Math.log10(count));
                    var disc = el("span", "pk-cluster", f.properties.point_count_abbreviated || String(count));
                    disc.style.background = g.colour;
                    disc.style.width = disc.style.height = disc.style.lineHeight = d + "px";
                    disc.setAttribute("data-count", String(count));
                    var m = L.marker(ll, {pane: "pkPoints", keyboard: false, title: g.label + ": " + count,
                        icon: L.divIcon({className: "pk-cluster-icon", html: disc, iconSize: [d, d]})});
                    m.on("click", function () {
                        map.setView(ll, Math.min(g.index.getClusterExpansionZoom(f.properties.cluster_id), 18));
                    });
                    m.addTo(PK.pointLayer);
                    PK.pointsDrawn.clusters++;
                    PK.pointsDrawn.points += count;
                } else {
                    L.circleMarker(ll, {renderer: PK.pointCanvas, interactive: false, radius: radius, color: "#ffffff",
                        weight: 1.2, fillColor: g.colour, fillOpacity: 1, opacity: 1}).addTo(PK.pointLayer);
                    PK.pointsDrawn.markers++;
                    PK.pointsDrawn.points++;
                }
            });
        });
    };

    /** "On the map": the largest towns and each point file, each with its count, turned on and off here. */
    function drawOverlays() {
        if (PK.overlays) { PK.overlays.remove(); PK.overlays = null; }
        var geo = PK.geometry, items = [];
        if (geo && geo.towns && geo.towns.length) {
            items.push([T("towns", {n: geo.towns.length}), PK.showTowns, function (on) { PK.showTowns = on; PK.placeLabels(); },
                        "towns", null]);
        }
        var labels = (PK.style && PK.style.point_labels) || {};
        (PK.points || []).forEach(function (g) {
            var label = labels[g.layer] || g.label;  // in the chosen language when the view gives it
            var text = g.rows > g.n ? T("points_of", {label: label, n: g.n.toLocaleString("en-US"), rows: g.rows.toLocaleString("en-US")})
                : T("points", {label: label, n: g.n.toLocaleString("en-US")});
            items.push([text, PK.showPoints, function (on) { PK.showPoints = on; PK.drawPoints(); }, "points", g.colour]);
        });
        if (!items.length) { return; }
        PK.overlays = L.control({position: "bottomleft"});
        PK.overlays.onAdd = function () {
            var box = el("div", "pk-overlays");
            box.appendChild(el("div", "pk-title", T("show")));
            items.forEach(function (it) {
                var label = el("label", "pk-row"), input = el("input");
                input.type = "checkbox";
                input.checked = it[1];
                input.setAttribute("data-overlay", it[3]);
                input.addEventListener("change", function () { it[2](input.checked); });
                label.appendChild(input);
                if (it[4]) { var sw = el("span", "pk-dot"); sw.style.background = it[4]; label.appendChild(sw); }
                label.appendChild(el("span", "", it[0]));
                box.appendChild(label);
            });
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
        };
        PK.overlays.addTo(PK.map);
    }

    /** The map of a standalone HTML file: everything inlined, a choice only zooms. */
    PK.standalone = function (element, geometry, style, world, large) {
        PK.create(element, {large: large});
        PK.onSelect = function (code) { PK.zoomTo(code, 2.5); };
        PK.setGeometry(geometry);
        if (world) { PK.setWorld(world); }
        PK.update(style);
    };

    // ------------------------------------------------------------------ search, selection, zoom
    /** Zoom to a district with its surroundings (``context`` = how many of its own sizes around it). */
    PK.zoomTo = function (code, context) {
        var l = PK.byCode[code];
        if (!l) { return false; }
        var b = l.getBounds().pad(context === undefined ? 1.5 : context);
        // keep the district clear of the legend (bottom right) and of the search box (top left)
        var legend = PK.legend && PK.legend.getContainer() ? PK.legend.getContainer().offsetWidth : 0;
        var size = PK.map.getSize(), right = legend && legend < size.x / 2 ? legend + 10 : 10;
        PK.map.fitBounds(b, {paddingTopLeft: [10, 40], paddingBottomRight: [right, 10], maxZoom: 12, animate: false});
        PK.flash(code);
        return true;
    };

    /** The district with its neighbours around it: the districts touching its box, within five of its sizes,
     *  and at least ``minKm`` (default 40 km) across, so that a small commune is seen in its surroundings. */
    PK.contextBounds = function (code, minKm) {
        var l = PK.byCode[code];
        if (!l) { return null; }
        var b = l.getBounds(), cap = b.pad(2), out = L.latLngBounds(b.getSouthWest(), b.getNorthEast());
        PK.layers.forEach(function (m) {
            if (m && m !== l && m._map && m.getBounds().intersects(b)) { out.extend(m.getBounds()); }
        });
        var south = Math.max(out.getSouth(), cap.getSouth()), north = Math.min(out.getNorth(), cap.getNorth());
        var west = Math.max(out.getWest(), cap.getWest()), east = Math.min(out.getEast(), cap.getEast());
        var c = b.getCenter(), km = (minKm || 40) / 2;
        var dLat = km / 111.32, dLon = km / (111.32 * Math.max(Math.cos(c.lat * Math.PI / 180), 0.05));
        return L.latLngBounds([Math.min(south, c.lat - dLat), Math.min(west, c.lng - dLon)],
                              [Math.max(north, c.lat + dLat), Math.max(east, c.lng + dLon)]);
    };

    /** Zoom so that the district and its neighbours fill the map (workshop steps). */
    PK.frameWithNeighbours = function (code) {
        var b = PK.contextBounds(code);
        if (!b) { return false; }
        var legend = PK.legend && PK.legend.getContainer() ? PK.legend.getContainer().offsetWidth : 0;
        var size = PK.map.getSize(), right = legend && legend < size.x / 2 ? legend + 10 : 10;
        PK.map.fitBounds(b, {paddingTopLeft: [10, 40], paddingBottomRight: [right, 10], maxZoom: 12, animate: false});
        PK.flash(code);
        return true;
    };

    PK.flash = function (code) {
        var l = PK.byCode[code];
        if (!l) { return; }
        if (PK.flashLayer) { PK.flashLayer.remove(); }
        PK.flashLayer = L.polygon(l.getLatLngs(), {renderer: PK.outlineCanvas, interactive: false, fill: false,
                                                   color: "#00e5ff", weight: 4, opacity: 1}).addTo(PK.map);
        PK.flashed = code;
    };

    PK.choose = function (code, how) {
        PK.lastChoice = {code: code, how: how};
        if (how !== "click") { PK.zoomTo(code, 2.5); }
        if (PK.onSelect) { PK.onSelect(code, how); }
    };

    /** Districts whose name or code contains the query (accents and case ignored), best first. */
    PK.search = function (query, limit) {
        var q = PK.fold(query), geo = PK.geometry, hits = [];
        if (!q || !geo) { return hits; }
        for (var i = 0; i < geo.codes.length; i++) {
            var name = PK.folded[i], other = PK.foldedOther[i] || "", code = String(geo.codes[i]).toLowerCase();
            var score = name === q || code === q || other === q ? 0 : name.indexOf(q) === 0 || other.indexOf(q) === 0 ? 1
                : name.indexOf(q) > 0 || other.indexOf(q) > 0 ? 2 : code.indexOf(q) >= 0 ? 3 : -1;
            if (score >= 0) { hits.push([score, geo.names[i].length, i]); }
        }
        hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
        return hits.slice(0, limit || 8).map(function (h) { return geo.codes[h[2]]; });
    };

    function searchControl() {
        var control = L.control({position: "topleft"});
        control.onAdd = function () {
            var box = el("div", "pk-search"), input = el("input"), list = el("ul", "pk-hits");
            input.type = "search";
            input.placeholder = T("search");
            PK.searchInput = input;
            input.setAttribute("aria-label", "Find a district by name or code");
            box.appendChild(input);
            box.appendChild(list);
            function go(code) {
                list.innerHTML = "";
                input.value = PK.geometry.names[PK.index[code]];
                PK.choose(code, "search");
            }
            input.addEventListener("input", function () {
                list.innerHTML = "";
                PK.search(input.value, 8).forEach(function (code) {
                    var i = PK.index[code], li = el("li");
                    var alt = PK.geometry.other_names ? PK.geometry.other_names[i] : "";
                    li.appendChild(el("span", "pk-hit-name", PK.geometry.names[i] + (alt ? " · " + alt : "")));
                    var where = PK.geometry.parents ? PK.geometry.parents[i] : "";
                    li.appendChild(el("span", "pk-hit-in", (where ? where + " · " : "") + code));
                    li.setAttribute("data-code", code);
                    li.addEventListener("mousedown", function (ev) { ev.preventDefault(); go(code); });
                    list.appendChild(li);
                });
            });
            input.addEventListener("keydown", function (ev) {
                if (ev.key === "Enter") {
                    var first = PK.search(input.value, 1);
                    if (first.length) { go(first[0]); }
                } else if (ev.key === "Escape") { list.innerHTML = ""; }
            });
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
        };
        return control;
    }
})(window);
