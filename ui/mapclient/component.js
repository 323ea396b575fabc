/* The map as a Streamlit component: the frame stays mounted while the page reruns.
 *
 * Streamlit sends the component's arguments on every rerun ("streamlit:render"): the URL of the
 * level's geometry file (content-hashed, fetched once and cached by the browser), the URL of
 * Leaflet and of the neighbouring countries, and the style (numbers only). A click or a search
 * sends back {code, n} with a counter, so a second click on the same district counts too.
 */
(function () {
    "use strict";
    var state = {geometryUrl: null, worldUrl: null, pointsUrl: null, loading: null, style: null, clicks: 0, height: 0};
    var clusterReady = null;

    /** The points file (fetched once per URL, like the geometry) drawn clustered once supercluster is loaded. */
    function loadPoints(args) {
        var PK = window.PK;
        if (!args.points || !args.cluster || args.points === state.pointsUrl) { return; }
        state.pointsUrl = args.points;
        clusterReady = clusterReady || loadScript(args.cluster);
        Promise.all([clusterReady, fetch(args.points).then(function (r) {
            if (!r.ok) { throw new Error("points " + r.status); }
            return r.json();
        }), state.loading || Promise.resolve()]).then(function (res) {
            if (state.pointsUrl === args.points) { PK.setPoints(res[1]); }
        }).catch(function () { /* an overlay only: the map works without it */ });
    }

    function send(type, data) {
        var msg = {isStreamlitMessage: true, type: type};
        for (var k in data || {}) { msg[k] = data[k]; }
        window.parent.postMessage(msg, "*");
    }

    function loadScript(url) {
        return new Promise(function (resolve, reject) {
            var s = document.createElement("script");
            s.src = url; s.onload = resolve; s.onerror = function () { reject(new Error("could not load " + url)); };
            document.head.appendChild(s);
        });
    }

    function loadCss(url) {
        var l = document.createElement("link");
        l.rel = "stylesheet"; l.href = url;
        document.head.insertBefore(l, document.head.firstChild);
    }

    /** The style with its per-district arrays, which arrive as bytes beside it ("array_<name>"). */
    function withArrays(args) {
        var style = args.style;
        if (!style) { return style; }
        for (var k in args) {
            if (k.indexOf("array_") === 0) { style[k.slice(6)] = args[k]; }
        }
        return style;
    }

    /* The uncertain outlines come from the page's last element (ui/secondpass), a frame of the same
     * origin: it hands them over when they arrive, and the map asks for them when it renders. They
     * are drawn only for the analytics the style names (outlines_for). */
    function sideOutlines() {
        var frames = window.parent.frames;
        for (var i = 0; i < frames.length; i++) {
            try {
                if (frames[i] !== window && frames[i].pkOutlines !== undefined) { return frames[i].pkOutlines; }
            } catch (e) { /* a frame of another origin */ }
        }
        return null;
    }

    function withOutlines(style) {
        if (!style || !style.outlines_for) { return style; }
        var o = state.outlines;
        style.uncertain = (o && o["for"] === style.outlines_for && o.uncertain) || [];
        return style;
    }

    window.pkTakeOutlines = function (outlines) {
        state.outlines = outlines;
        var s = state.style, PK = window.PK;
        if (!s || !s.outlines_for || state.loading || !PK || !PK.geometry || PK.style !== s) { return; }
        var before = JSON.stringify(s.uncertain || []);
        withOutlines(s);
        if (JSON.stringify(s.uncertain) !== before) { PK.update(s); }
    };

    var ready = null;
    function boot(args) {
        if (!ready) {
            loadCss(args.leaflet + "/leaflet.css");
            ready = loadScript(args.leaflet + "/leaflet.js").then(function () { return loadScript("pockets-map.js"); })
                .then(function () {
                    window.PK.create(document.getElementById("map"), {large: !!args.large});
                    window.PK.onSelect = function (code, how) {
                        state.clicks += 1;
                        send("streamlit:setComponentValue", {value: {code: code, n: state.clicks, how: how}, dataType: "json"});
                    };
                });
        }
        return ready;
    }

    function render(args) {
        if (args.height && args.height !== state.height) {
            state.height = args.height;
            send("streamlit:setFrameHeight", {height: args.height});
        }
        state.style = withArrays(args);
        state.outlines = sideOutlines() || state.outlines;
        var booted = boot(args);
        if (args.geometry !== state.geometryUrl) {  // fetched while Leaflet loads, drawn once both are here
            var url = state.geometryUrl = args.geometry;
            var fetched = fetch(url).then(function (r) {
                if (!r.ok) { throw new Error("geometry " + r.status); }
                return r.json();
            });
            state.loading = Promise.all([booted, fetched]).then(function (res) {
                if (state.geometryUrl !== url) { return; }
                window.PK.setGeometry(res[1]);
                state.loading = null;
                if (state.style) { window.PK.update(withOutlines(state.style)); }
            });
            booted.then(function () {
                if (!args.points) { state.pointsUrl = null; window.PK.setPoints(null); }
            });
        }
        booted.then(function () {
            var PK = window.PK;
            if (args.world && args.world !== state.worldUrl) {
                state.worldUrl = args.world;
                fetch(args.world).then(function (r) { return r.json(); }).then(function (topo) { PK.setWorld(topo); })
                    .catch(function () { /* orientation only: the map works without it */ });
            }
            loadPoints(args);
            if (!state.loading && state.style) { PK.update(withOutlines(state.style)); }
        });
    }

    window.addEventListener("message", function (event) {
        var data = event.data || {};
        if (data.type === "streamlit:render") { render(data.args || {}); }
    });
    send("streamlit:componentReady", {apiVersion: 1});
})();
